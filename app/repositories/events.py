"""Queries on the outbox of events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select

from app.domain.events import Event, EventType
from app.models import EventRecord

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession


async def add(session: AsyncSession, *, event: Event) -> EventRecord:
    """Write the event in the session's transaction; its `seq` is known on return."""
    row = EventRecord(
        id=event.id, type=event.type.value, occurred_at=event.occurred_at, data=event.data
    )
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, *, event_id: str) -> Event | None:
    """The event with this id, or None."""
    row = (await session.exec(select(EventRecord).where(col(EventRecord.id) == event_id))).first()
    return None if row is None else as_event(row)


def as_event(row: EventRecord) -> Event:
    return Event(id=row.id, type=EventType(row.type), occurred_at=row.occurred_at, data=row.data)
