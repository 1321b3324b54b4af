"""Queries on who referred whom, listed in join order by keyset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import bindparam, true, union_all
from sqlmodel import col, select

from app.models import Referral, User

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlmodel.ext.asyncio.session import AsyncSession
    from sqlmodel.sql.expression import Select


async def add(session: AsyncSession, *, referee_id: int, referrer_id: int, code_id: int) -> None:
    """Record that the referee joined through the referrer's code."""
    session.add(Referral(referee_id=referee_id, referrer_id=referrer_id, code_id=code_id))
    await session.flush()


def _page(*, referrer_id: int, after_id: int | None, limit: int) -> Select[int, int]:
    """Up to `limit` referrals of one referrer after `after_id`: a range scan of the index."""
    query = select(Referral.referrer_id, Referral.referee_id).where(
        Referral.referrer_id == referrer_id
    )
    if after_id is not None:
        query = query.where(col(Referral.referee_id) > after_id)
    return query.order_by(col(Referral.referee_id)).limit(limit)


# Built once: every listing binds its values instead of rebuilding the statement. The
# referrer's account row is joined with the page's range scan, so that one round trip tells
# whether the user exists, how many referrals it has and which come next.
_PAGE = (
    select(Referral.referee_id)
    .where(
        Referral.referrer_id == bindparam("referrer_id"),
        col(Referral.referee_id) > bindparam("after_id"),
    )
    .order_by(col(Referral.referee_id))
    .limit(bindparam("limit"))
    .subquery("page")
)
_COUNT_AND_PAGE = (
    select(User.referral_count, _PAGE.c.referee_id)
    .select_from(User)
    .outerjoin(_PAGE, true())
    .where(User.id == bindparam("referrer_id"))
    .order_by(_PAGE.c.referee_id)
)


async def count_and_page(
    session: AsyncSession, *, referrer_id: int, after_id: int | None, limit: int
) -> tuple[int, list[int]] | None:
    """The referrer's referral count and up to `limit` referee ids after `after_id`, oldest
    first; None when there is no such user."""
    result = await session.exec(
        _COUNT_AND_PAGE,
        params={"referrer_id": referrer_id, "after_id": after_id or 0, "limit": limit},
    )
    rows = result.all()
    if not rows:
        return None
    return rows[0][0], [referee_id for _, referee_id in rows if referee_id is not None]


async def list_referee_ids_for_many(
    session: AsyncSession, *, referrer_ids: Iterable[int], after_id: int | None, limit: int
) -> dict[int, list[int]]:
    """A page of referee ids for each referrer, in one query (for DataLoaders).

    One keyset range scan per referrer, glued with UNION ALL: the cost follows the page size,
    not the referrer's number of referrals (a window over all of them read every row).
    """
    ids = sorted(set(referrer_ids))
    if not ids:
        return {}
    pages = [_page(referrer_id=referrer_id, after_id=after_id, limit=limit) for referrer_id in ids]
    query = (
        pages[0] if len(pages) == 1 else union_all(*(page.subquery().select() for page in pages))
    )
    result = await session.exec(query)  # type: ignore[arg-type]  # a UNION of selects
    found: dict[int, list[int]] = {referrer_id: [] for referrer_id in ids}
    for referrer_id, referee_id in result.all():
        found[referrer_id].append(referee_id)
    for referee_ids in found.values():
        referee_ids.sort()
    return found


async def referrer_ids_of(session: AsyncSession, *, referee_ids: Iterable[int]) -> dict[int, int]:
    """Map each of these referees that has a referrer to that referrer's id."""
    ids = list(set(referee_ids))
    if not ids:
        return {}
    result = await session.exec(
        select(Referral.referee_id, Referral.referrer_id).where(col(Referral.referee_id).in_(ids))
    )
    return dict(result.all())
