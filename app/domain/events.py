"""Events: the changes worth telling (contract section 7), as values with their `data` shapes.

An event is recorded in the transaction of its change (app.services.events), so that none is
told of a change that rolled back and none is lost for one that committed. Its `data` is what
webhooks send and subscriptions read: ids as strings (GraphQL's ID), times ISO 8601 with an offset.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from app.domain.clock import as_utc, utcnow

if TYPE_CHECKING:
    from datetime import datetime

    from app.domain.codes import Code


class EventType(StrEnum):
    """The types of event, as webhooks and `eventTypes` name them."""

    USER_REGISTERED = "user.registered"
    REFERRAL_JOINED = "referral.joined"
    CODE_CREATED = "code.created"
    CODE_DELETED = "code.deleted"


EVENT_TYPES: frozenset[str] = frozenset(EventType)


@dataclass(frozen=True, slots=True)
class Event:
    """One event: `id` is unique and stable (a webhook's `webhook-id`, the same on retries)."""

    id: str
    type: EventType
    occurred_at: datetime
    data: dict[str, Any]


def new_event(type_: EventType, data: dict[str, Any], *, now: datetime | None = None) -> Event:
    """An event of this type that happens now, under a fresh id."""
    return Event(
        id=f"evt_{uuid.uuid4().hex}",
        type=type_,
        occurred_at=as_utc(now or utcnow()),
        data=data,
    )


def iso(moment: datetime) -> str:
    """A moment as ISO 8601 in UTC, with its offset (as the GraphQL DateTime scalar answers)."""
    return as_utc(moment).isoformat()


def user_registered(*, user_id: int, email: str, created_at: datetime) -> Event:
    return new_event(
        EventType.USER_REGISTERED,
        {"user": {"id": str(user_id), "email": email, "createdAt": iso(created_at)}},
    )


def referral_joined(
    *, referrer_id: int, referee_id: int, email: str, created_at: datetime, code: str
) -> Event:
    return new_event(
        EventType.REFERRAL_JOINED,
        {
            "referrer": {"id": str(referrer_id)},
            "referee": {"id": str(referee_id), "email": email, "createdAt": iso(created_at)},
            "code": code,
        },
    )


def code_created(code: Code, *, max_uses: int | None) -> Event:
    return new_event(
        EventType.CODE_CREATED,
        {
            "owner": {"id": str(code.owner_id)},
            "code": code.code,
            "expiresAt": iso(code.expires_at),
            "maxUses": max_uses,
        },
    )


def code_deleted(code: Code) -> Event:
    return new_event(
        EventType.CODE_DELETED, {"owner": {"id": str(code.owner_id)}, "code": code.code}
    )
