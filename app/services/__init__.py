"""Services: the rules of the contract, each in one place, for both transports.

A service is built once at start-up with what it uses (its constructor names every
dependency) and takes the caller's unit of work (app.uow) on each call: it reads and says when
a change commits through it, and raises domain errors (app.errors). Services call
repositories, the cache, security and integrations; they know nothing of HTTP or GraphQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.services.accounts import Accounts
    from app.services.codes import Codes
    from app.services.events import EventLog
    from app.services.leaderboard import Leaderboard
    from app.services.live import ReferralFeed
    from app.services.referrals import Referrals
    from app.services.sessions import Sessions
    from app.services.stats import Statistics
    from app.services.visits import Visits
    from app.services.webhooks import WebhookEndpoints


@dataclass(frozen=True, slots=True)
class Services:
    """Every service of a running application."""

    accounts: Accounts
    sessions: Sessions
    codes: Codes
    referrals: Referrals
    stats: Statistics
    leaderboard: Leaderboard
    events: EventLog
    webhooks: WebhookEndpoints
    feed: ReferralFeed
    visits: Visits
