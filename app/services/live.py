"""Live referrals: each `referral.joined` event, once committed, told to the referrer's
subscribers on every instance (app.pubsub: through Redis when it is configured)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app.domain.events import EventType

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from app.domain.events import Event
    from app.pubsub import Message, PubSub, Subscription


@dataclass(frozen=True, slots=True)
class JoinedReferral:
    """A referral as it joined: the new account and the code it joined with."""

    referee_id: int
    email: str
    created_at: datetime
    code: str

    @classmethod
    def from_message(cls, message: Message) -> JoinedReferral:
        referee = message["referee"]
        return cls(
            referee_id=int(referee["id"]),
            email=referee["email"],
            created_at=datetime.fromisoformat(referee["createdAt"]),
            code=message["code"],
        )


def referrals_topic(referrer_id: int) -> str:
    return f"referrals:{referrer_id}"


class ReferralFeed:
    """Who joined with a user's codes, as it happens, for as long as one listens."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def on_event(self, event: Event) -> None:
        """An event has committed (app.services.events): a `referral.joined` goes to its
        referrer's topic, its data (contract section 7) less the referrer. Never waits."""
        if event.type is not EventType.REFERRAL_JOINED:
            return
        data = event.data
        message = {"referee": data["referee"], "code": data["code"]}
        self._pubsub.publish(referrals_topic(int(data["referrer"]["id"])), message)

    @asynccontextmanager
    async def joined(self, *, referrer_id: int) -> AsyncIterator[JoinedReferrals]:
        """The referrals of `referrer_id` that join from now until the block ends."""
        async with self._pubsub.subscribe(referrals_topic(referrer_id)) as subscription:
            yield JoinedReferrals(subscription)


class JoinedReferrals:
    """The referrals joining, in order: iterate it."""

    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription

    def __aiter__(self) -> JoinedReferrals:
        return self

    async def __anext__(self) -> JoinedReferral:
        return JoinedReferral.from_message(await self._subscription.__anext__())
