"""Queries for referral statistics and the leaderboard: bounded range reads of the daily
rollups (referrals per user, visits per code), and counts of a rolling window's partial first
day by the referrals' time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import bindparam, func, literal, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from app.domain.stats import day_of
from app.models import CodeVisitDaily, Referral, ReferralCode, ReferralDaily, User

if TYPE_CHECKING:
    from collections.abc import Iterable
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


def _days_sum(since: Any, until: Any) -> Any:
    """The user's referrals on the days from `since` to `until`, from the rollup: one range of
    its primary key (at most one row a day)."""
    return (
        sa.select(func.coalesce(func.sum(ReferralDaily.referrals), 0))
        .where(
            col(ReferralDaily.user_id) == col(User.id),
            col(ReferralDaily.day) >= since,
            col(ReferralDaily.day) <= until,
        )
        .scalar_subquery()
    )


def _joined_between(after: Any, before: Any) -> Any:
    """The user's referrals that joined after `after` and before `before` (a window's partial
    first day): one range of ix_referral_referrer_created, at most a day's referrals."""
    return (
        sa.select(func.count())
        .where(
            col(Referral.referrer_id) == col(User.id),
            col(Referral.created_at) > after,
            col(Referral.created_at) < before,
        )
        .scalar_subquery()
    )


def _visits_sum(since: Any, until: Any) -> Any:
    """The visits of the user's share links on the days from `since` to `until`: a range of
    code_visit_daily's primary key for each of the user's codes (a user has a few)."""
    return (
        sa.select(func.coalesce(func.sum(CodeVisitDaily.visits), 0))
        .select_from(CodeVisitDaily)
        .join(ReferralCode, col(ReferralCode.id) == col(CodeVisitDaily.code_id))
        .where(
            col(ReferralCode.owner_id) == col(User.id),
            col(CodeVisitDaily.day) >= since,
            col(CodeVisitDaily.day) <= until,
        )
        .scalar_subquery()
    )


# Built once: each read only binds its values. Rows of (user id, referrals in all, referrals
# on the short and the long window's whole days, on their partial first days, visits).
_SUMMARIES = sa.select(
    col(User.id),
    col(User.referral_count),
    _days_sum(bindparam("short_whole_from"), bindparam("today")),
    _days_sum(bindparam("long_whole_from"), bindparam("today")),
    _joined_between(bindparam("short_start"), bindparam("short_first_end")),
    _joined_between(bindparam("long_start"), bindparam("long_first_end")),
    _visits_sum(bindparam("visits_from"), bindparam("today")),
).where(col(User.id).in_(bindparam("user_ids", expanding=True)))


@dataclass(frozen=True, slots=True)
class Counts:
    """A user's referrals in all and in two rolling windows, and visits since a day."""

    total: int
    in_short: int
    in_long: int
    visits: int


async def summary_counts(
    session: AsyncSession,
    *,
    user_ids: Iterable[int],
    short: Window,
    long: Window,
    visits_from: date,
) -> dict[int, Counts]:
    """Each existing user's referrals in all, in the `short` and in the `long` window, and
    share-link visits from `visits_from` to today: one statement of bounded range reads per
    user, whatever their referral counts."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    params = {
        "user_ids": ids,
        "today": day_of(long.now),
        "short_whole_from": short.whole_days_from,
        "long_whole_from": long.whole_days_from,
        "short_start": short.start,
        "short_first_end": short.first_day_end,
        "long_start": long.start,
        "long_first_end": long.first_day_end,
        "visits_from": visits_from,
    }
    rows: Any = await session.exec(_SUMMARIES, params=params)  # type: ignore[call-overload]
    return {
        user_id: Counts(
            total=total,
            in_short=short_days + short_first,
            in_long=long_days + long_first,
            visits=visits,
        )
        for user_id, total, short_days, long_days, short_first, long_first, visits in rows.all()
    }


_USERS: Any = bindparam("user_ids", expanding=True)
_SINCE: Any = bindparam("since")
_UNTIL: Any = bindparam("until")
# Rows of (0, user id, day, referrals) from the rollup and (1, user id, day, visits) summed
# over the user's codes: at most one of each per user and day.
_DAILY = union_all(
    sa.select(
        literal(0), col(ReferralDaily.user_id), col(ReferralDaily.day), col(ReferralDaily.referrals)
    ).where(
        col(ReferralDaily.user_id).in_(_USERS),
        col(ReferralDaily.day) >= _SINCE,
        col(ReferralDaily.day) <= _UNTIL,
    ),
    sa.select(
        literal(1),
        col(ReferralCode.owner_id),
        col(CodeVisitDaily.day),
        func.sum(CodeVisitDaily.visits),
    )
    .select_from(CodeVisitDaily)
    .join(ReferralCode, col(ReferralCode.id) == col(CodeVisitDaily.code_id))
    .where(
        col(ReferralCode.owner_id).in_(_USERS),
        col(CodeVisitDaily.day) >= _SINCE,
        col(CodeVisitDaily.day) <= _UNTIL,
    )
    .group_by(col(ReferralCode.owner_id), col(CodeVisitDaily.day)),
)


async def daily_counts(
    session: AsyncSession, *, user_ids: Iterable[int], since: date, until: date
) -> dict[tuple[int, date], tuple[int, int]]:
    """(referrals, visits) by (user id, day) of these users' days from `since` to `until`
    (days with neither are left out), in one statement of bounded range reads."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    params = {"user_ids": ids, "since": since, "until": until}
    rows: Any = await session.exec(_DAILY, params=params)  # type: ignore[call-overload]
    found: dict[tuple[int, date], tuple[int, int]] = {}
    for kind, user_id, day, count in rows.all():
        referrals, visits = found.get((user_id, day), (0, 0))
        found[user_id, day] = (count, visits) if kind == 0 else (referrals, count)
    return found


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
