"""Queries for referral statistics and the leaderboard: bounded range reads of the daily
rollup, and counts of a rolling window's partial first day by the referrals' time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import func, literal, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from app.domain.stats import day_of
from app.models import Referral, ReferralDaily, User

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import date

    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.domain.stats import Window


async def count_referral(session: AsyncSession, *, user_id: int, day: date) -> None:
    """Count one more referral of the user on this UTC day (in the registration's
    transaction; concurrent registrations add up through the upsert)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(ReferralDaily)
        .values(user_id=user_id, day=day, referrals=1)
        .on_conflict_do_update(
            index_elements=["user_id", "day"],
            set_={"referrals": col(ReferralDaily.referrals) + 1},
        )
    )
    await session.exec(statement)


async def referral_counts(session: AsyncSession, *, user_ids: Iterable[int]) -> dict[int, int]:
    """Each existing user's referrals in all (the account's counter)."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    result = await session.exec(select(User.id, User.referral_count).where(col(User.id).in_(ids)))
    return {user_id: count for user_id, count in result.all() if user_id is not None}


async def daily_counts(
    session: AsyncSession, *, user_ids: Iterable[int], since: date, until: date
) -> list[tuple[int, date, int]]:
    """(user id, day, referrals) of these users' days from `since` to `until` (days with none
    have no row): at most one row per user and day, whatever their referral counts."""
    ids = list(set(user_ids))
    if not ids:
        return []
    result = await session.exec(
        select(
            col(ReferralDaily.user_id), col(ReferralDaily.day), col(ReferralDaily.referrals)
        ).where(
            col(ReferralDaily.user_id).in_(ids),
            col(ReferralDaily.day) >= since,
            col(ReferralDaily.day) <= until,
        )
    )
    return list(result.all())


async def joined_in_first_days(
    session: AsyncSession, *, user_ids: Iterable[int], windows: Sequence[Window]
) -> dict[tuple[int, int], int]:
    """How many referrals each user got in each window's partial first day, after the
    window's start, keyed by (user id, window index); one statement, an index range each."""
    ids = list(set(user_ids))
    if not ids or not windows:
        return {}
    counts: list[Any] = [
        sa.select(
            literal(index).label("window"),
            col(Referral.referrer_id).label("user_id"),
            func.count().label("referrals"),
        )
        .where(
            col(Referral.referrer_id).in_(ids),
            col(Referral.created_at) > window.start,
            col(Referral.created_at) < window.first_day_end,
        )
        .group_by(col(Referral.referrer_id))
        for index, window in enumerate(windows)
    ]
    rows: Any = await session.exec(union_all(*counts))  # type: ignore[call-overload]  # a UNION
    return {(user_id, index): count for index, user_id, count in rows.all()}


async def top_all_time(session: AsyncSession, *, limit: int) -> list[tuple[int, int]]:
    """(user id, referrals) of the `limit` users with most referrals, ties by id: the top of
    the partial index of referrers (ix_account_referral_rank)."""
    result = await session.exec(
        select(User.id, User.referral_count)
        .where(col(User.referral_count) > 0)
        .order_by(col(User.referral_count).desc(), col(User.id))
        .limit(limit)
    )
    return [(user_id, count) for user_id, count in result.all() if user_id is not None]


async def top_in_window(
    session: AsyncSession, *, window: Window, limit: int
) -> list[tuple[int, int]]:
    """(user id, referrals in the window) of the `limit` users with most, ties by id: the
    rollup's whole days plus the partial first day counted by time. The cost follows the
    referrals of the period, not the number of accounts."""
    whole_days: Any = sa.select(
        col(ReferralDaily.user_id).label("user_id"), col(ReferralDaily.referrals).label("n")
    ).where(
        col(ReferralDaily.day) >= window.whole_days_from,
        col(ReferralDaily.day) <= day_of(window.now),
    )
    first_day: Any = (
        sa.select(col(Referral.referrer_id).label("user_id"), func.count().label("n"))
        .where(
            col(Referral.created_at) > window.start,
            col(Referral.created_at) < window.first_day_end,
        )
        .group_by(col(Referral.referrer_id))
    )
    both = union_all(whole_days, first_day).subquery("period")
    referrals = func.sum(both.c.n).label("referrals")
    result: Any = await session.exec(
        sa.select(both.c.user_id, referrals)  # type: ignore[call-overload]  # not a model's
        .group_by(both.c.user_id)
        .order_by(referrals.desc(), both.c.user_id)
        .limit(limit)
    )
    return [(int(user_id), int(count)) for user_id, count in result.all()]


async def visit_counts(
    session: AsyncSession, *, user_ids: Iterable[int], since: date, until: date
) -> dict[int, list[tuple[date, int]]]:
    """TEMPORARY until code_visit_daily lands."""
    return {}
