"""Queries on webhook endpoints and their deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, or_
from sqlmodel import col, select, update

from app.domain.webhooks import DeliveryStatus, takes
from app.models import EventRecord, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.domain.events import Event


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery a worker holds the lease of, with what its attempt needs."""

    id: int
    endpoint_id: int
    url: str
    secret_sealed: str
    event_id: str
    event_type: str
    occurred_at: datetime
    data: dict[str, Any]
    attempts: int  # counting the one now claimed
    due_at: datetime
    endpoint_failures: int  # the endpoint's FAILED deliveries in a row, when claimed


def _live() -> Any:
    return (col(WebhookEndpoint.deleted_at).is_(None), col(WebhookEndpoint.disabled_at).is_(None))


async def add_endpoint(session: AsyncSession, *, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    session.add(endpoint)
    await session.flush()
    return endpoint


async def list_endpoints(session: AsyncSession) -> list[WebhookEndpoint]:
    """Every endpoint not deleted, oldest first."""
    rows = await session.exec(
        select(WebhookEndpoint)
        .where(col(WebhookEndpoint.deleted_at).is_(None))
        .order_by(col(WebhookEndpoint.id))
    )
    return list(rows)


async def delete_endpoint(session: AsyncSession, *, endpoint_id: int, now: datetime) -> bool:
    """Mark the endpoint deleted and give up its pending deliveries; False if there was none."""
    result = await session.exec(
        update(WebhookEndpoint)
        .where(col(WebhookEndpoint.id) == endpoint_id, col(WebhookEndpoint.deleted_at).is_(None))
        .values(deleted_at=now)
    )
    if result.rowcount == 0:
        return False
    await _give_up_pending(session, endpoint_id=endpoint_id)
    return True


async def schedule(session: AsyncSession, *, event: Event, now: datetime) -> int:
    """One pending delivery of `event` for each live endpoint that takes its type; how many."""
    endpoints = await session.exec(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(*_live())
    )
    rows = [
        {
            "endpoint_id": endpoint_id,
            "event_id": event.id,
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for endpoint_id, event_types in endpoints
        if takes(event_types, event.type)
    ]
    if rows:
        await session.exec(insert(WebhookDelivery), params=rows)  # type: ignore[call-overload]
    return len(rows)


async def claim_due(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> list[ClaimedDelivery]:
    """Take the lease of up to `limit` due deliveries of live endpoints, counting an attempt.

    One UPDATE decides: on PostgreSQL its subquery locks the rows it picks and skips those
    another instance is claiming (FOR UPDATE SKIP LOCKED); SQLite runs one writer at a time.
    A row whose lease is current is not due, so each attempt is made by one worker.
    """
    due = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .where(
            col(WebhookDelivery.status) == DeliveryStatus.PENDING.value,
            col(WebhookDelivery.next_attempt_at) <= now,
            or_(
                col(WebhookDelivery.lease_until).is_(None),
                col(WebhookDelivery.lease_until) <= now,
            ),
            *_live(),
        )
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(of=WebhookDelivery, skip_locked=True)  # type: ignore[arg-type]
    claimed = await session.exec(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id).in_(due.scalar_subquery()))
        .values(
            attempts=col(WebhookDelivery.attempts) + 1,
            lease_until=lease_until,
            last_attempt_at=now,
        )
        .returning(col(WebhookDelivery.id))
    )
    ids = [row[0] for row in claimed]
    if not ids:
        return []
    details = await session.exec(
        select(WebhookDelivery, WebhookEndpoint, EventRecord)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .join(EventRecord, col(EventRecord.id) == col(WebhookDelivery.event_id))
        .where(col(WebhookDelivery.id).in_(ids))
    )
    return [
        ClaimedDelivery(
            id=_id(delivery.id),
            endpoint_id=delivery.endpoint_id,
            url=endpoint.url,
            secret_sealed=endpoint.secret_sealed,
            event_id=event.id,
            event_type=event.type,
            occurred_at=event.occurred_at,
            data=event.data,
            attempts=delivery.attempts,
            due_at=delivery.next_attempt_at or now,
            endpoint_failures=endpoint.failures_in_a_row,
        )
        for delivery, endpoint, event in details
    ]


async def succeed(session: AsyncSession, *, claimed: ClaimedDelivery, status: int) -> bool:
    """Record a delivered attempt, if the lease is still this claim's; the endpoint's run of
    failures ends."""
    if not await _finish_attempt(
        session,
        claimed=claimed,
        status=DeliveryStatus.SUCCEEDED,
        response_status=status,
        next_attempt_at=None,
    ):
        return False
    if claimed.endpoint_failures:  # known at the claim: most successes write nothing more
        await session.exec(
            update(WebhookEndpoint)
            .where(
                col(WebhookEndpoint.id) == claimed.endpoint_id,
                col(WebhookEndpoint.failures_in_a_row) > 0,
            )
            .values(failures_in_a_row=0)
        )
    return True


async def retry_later(
    session: AsyncSession,
    *,
    claimed: ClaimedDelivery,
    response_status: int | None,
    next_attempt_at: datetime,
) -> bool:
    """Record a failed attempt that will be made again at `next_attempt_at`."""
    return await _finish_attempt(
        session,
        claimed=claimed,
        status=DeliveryStatus.PENDING,
        response_status=response_status,
        next_attempt_at=next_attempt_at,
    )


async def give_up(
    session: AsyncSession,
    *,
    claimed: ClaimedDelivery,
    response_status: int | None,
    disable_after: int,
    now: datetime,
) -> tuple[bool, bool]:
    """Record the last failed attempt: the delivery is FAILED, and the endpoint disabled (its
    pending deliveries given up) when that makes `disable_after` failures in a row. Whether the
    result was recorded, and whether the endpoint was disabled."""
    if not await _finish_attempt(
        session,
        claimed=claimed,
        status=DeliveryStatus.FAILED,
        response_status=response_status,
        next_attempt_at=None,
    ):
        return False, False
    counted = await session.exec(
        update(WebhookEndpoint)
        .where(col(WebhookEndpoint.id) == claimed.endpoint_id)
        .values(failures_in_a_row=col(WebhookEndpoint.failures_in_a_row) + 1)
        .returning(col(WebhookEndpoint.failures_in_a_row), col(WebhookEndpoint.disabled_at))
    )
    failures, disabled_at = counted.one()
    if failures < disable_after or disabled_at is not None:
        return True, False
    await session.exec(
        update(WebhookEndpoint)
        .where(col(WebhookEndpoint.id) == claimed.endpoint_id)
        .values(disabled_at=now)
    )
    await _give_up_pending(session, endpoint_id=claimed.endpoint_id)
    return True, True


async def release(session: AsyncSession, *, claims: Sequence[ClaimedDelivery]) -> None:
    """Give back claims whose attempts were interrupted (a shutdown): due again at once."""
    for claimed in claims:
        await session.exec(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id) == claimed.id,
                col(WebhookDelivery.attempts) == claimed.attempts,
                col(WebhookDelivery.status) == DeliveryStatus.PENDING.value,
            )
            .values(lease_until=None)
        )


async def _finish_attempt(
    session: AsyncSession,
    *,
    claimed: ClaimedDelivery,
    status: DeliveryStatus,
    response_status: int | None,
    next_attempt_at: datetime | None,
) -> bool:
    """Write an attempt's result if the row is still this claim's (same attempt, pending)."""
    result = await session.exec(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == claimed.id,
            col(WebhookDelivery.attempts) == claimed.attempts,
            col(WebhookDelivery.status) == DeliveryStatus.PENDING.value,
        )
        .values(
            status=status.value,
            last_response_status=response_status,
            next_attempt_at=next_attempt_at,
            lease_until=None,
        )
    )
    return bool(result.rowcount)


async def _give_up_pending(session: AsyncSession, *, endpoint_id: int) -> None:
    await session.exec(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint_id,
            col(WebhookDelivery.status) == DeliveryStatus.PENDING.value,
        )
        .values(status=DeliveryStatus.FAILED.value, next_attempt_at=None, lease_until=None)
    )


async def page_deliveries(
    session: AsyncSession, *, endpoint_id: int, size: int, before_id: int | None
) -> list[tuple[WebhookDelivery, str]]:
    """Up to `size + 1` deliveries of the endpoint, newest first, with their event's type."""
    statement = (
        select(WebhookDelivery, EventRecord.type)
        .join(EventRecord, col(EventRecord.id) == col(WebhookDelivery.event_id))
        .where(col(WebhookDelivery.endpoint_id) == endpoint_id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(size + 1)
    )
    if before_id is not None:
        statement = statement.where(col(WebhookDelivery.id) < before_id)
    return [(row[0], row[1]) for row in await session.exec(statement)]


def _id(value: int | None) -> int:
    assert value is not None
    return value
