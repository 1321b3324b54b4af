"""Time as the service sees it: aware UTC datetimes, from a clock that tests can move."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The system clock, in UTC: the default `Clock`."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a moment given without an offset is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
