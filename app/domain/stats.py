"""Referral statistics: UTC days, rolling windows, and the `days` of a daily series.

A referral counts on the UTC day of its createdAt. A rolling window ("the last 7 x 24 hours")
is answered from the daily rollup for the whole days after its first day, plus the referrals
of that first, partial day that joined after the window's start (counted by their time, so a
read is bounded by one day's referrals, never by a user's total).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.domain.clock import as_utc
from app.errors import BadUserInput

MIN_DAYS = 1
MAX_DAYS = 365
DEFAULT_DAYS = 30
SHORT_WINDOW_DAYS = 7
LONG_WINDOW_DAYS = 30


def day_of(moment: datetime) -> date:
    """The UTC day a moment falls on."""
    return as_utc(moment).date()


def start_of(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Window:
    """The last `days` x 24 hours before `now`: (start, now]."""

    start: datetime
    now: datetime

    @classmethod
    def last(cls, days: int, *, now: datetime) -> Window:
        now = as_utc(now)
        return cls(start=now - timedelta(days=days), now=now)

    @property
    def first_day(self) -> date:
        """The partial day the window starts in: counted by time, not from the rollup."""
        return day_of(self.start)

    @property
    def first_day_end(self) -> datetime:
        """Where the partial first day ends: the rollup's whole days begin here."""
        return start_of(self.first_day + timedelta(days=1))

    @property
    def whole_days_from(self) -> date:
        """The first day the window covers whole (up to today, which has no later referral)."""
        return self.first_day + timedelta(days=1)


def check_days(days: int) -> int:
    """The number of days of a daily series, if it is 1..365; BAD_USER_INPUT otherwise."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise BadUserInput(f"`{{field}}` must be between {MIN_DAYS} and {MAX_DAYS}.", field="days")
    return days


def series_days(days: int, *, today: date) -> list[date]:
    """`days` UTC days ending today, oldest first."""
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


@dataclass(frozen=True, slots=True)
class StatsSummary:
    """A user's totals and rolling windows. Visits are counted per UTC day, so
    `visits_last_30_days` is the 30 UTC days ending today, as `daily(days: 30)` lists them."""

    total_referrals: int
    referrals_last_7_days: int
    referrals_last_30_days: int
    visits_last_30_days: int


@dataclass(frozen=True, slots=True)
class DayCount:
    """One UTC day of a user's series."""

    day: date
    referrals: int
    visits: int
