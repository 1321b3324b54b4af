"""Referral statistics of users: totals, rolling windows and daily series, for many users in
one read (a page of users asks for them through a DataLoader)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.clock import utcnow
from app.domain.stats import (
    LONG_WINDOW_DAYS,
    SHORT_WINDOW_DAYS,
    DayCount,
    StatsSummary,
    Window,
    check_days,
    day_of,
    series_days,
)
from app.repositories import stats as stats_repo

if TYPE_CHECKING:
    from collections.abc import Iterable

    from app.domain.clock import Clock
    from app.uow import UnitOfWork


class Statistics:
    """What a user's referrals and share links did, by UTC day and over rolling windows."""

    def __init__(self, *, clock: Clock = utcnow) -> None:
        self._clock = clock

    async def summaries(
        self, uow: UnitOfWork, *, user_ids: Iterable[int]
    ) -> dict[int, StatsSummary]:
        """Totals, the last 7 and 30 x 24 hours and the visits of the 30 UTC days ending today,
        of each existing user: one statement of bounded range reads (the rollup's days, the
        windows' partial first days, the visits' days), whatever the counts."""
        now = self._clock()
        today = day_of(now)
        short, long = (
            Window.last(SHORT_WINDOW_DAYS, now=now),
            Window.last(LONG_WINDOW_DAYS, now=now),
        )
        visit_days = series_days(LONG_WINDOW_DAYS, today=today)
        async with uow.read() as session:
            counts = await stats_repo.summary_counts(
                session, user_ids=user_ids, short=short, long=long, visits_from=visit_days[0]
            )
        return {
            user_id: StatsSummary(
                total_referrals=found.total,
                referrals_last_7_days=found.in_short,
                referrals_last_30_days=found.in_long,
                visits_last_30_days=found.visits,
            )
            for user_id, found in counts.items()
        }

    async def daily(
        self, uow: UnitOfWork, *, user_ids: Iterable[int], days: int
    ) -> dict[int, list[DayCount]]:
        """Each user's last `days` UTC days (1..365, else BAD_USER_INPUT), oldest first,
        ending today, days with nothing as zeros: one statement reading the rollups' days."""
        check_days(days)
        ids = list(set(user_ids))
        calendar = series_days(days, today=day_of(self._clock()))
        async with uow.read() as session:
            found = await stats_repo.daily_counts(
                session, user_ids=ids, since=calendar[0], until=calendar[-1]
            )
        return {
            user_id: [DayCount(day, *found.get((user_id, day), (0, 0))) for day in calendar]
            for user_id in ids
        }
