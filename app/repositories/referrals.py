"""Queries on who referred whom, listed in join order by keyset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, true, union_all
from sqlmodel import col, select

from app.models import Referral, User

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from sqlmodel.ext.asyncio.session import AsyncSession
    from sqlmodel.sql.expression import Select


async def add(
    session: AsyncSession, *, referee_id: int, referrer_id: int, code_id: int, created_at: datetime
) -> None:
    """Record that the referee joined through the referrer's code at `created_at`."""
    referral = Referral(
        referee_id=referee_id, referrer_id=referrer_id, code_id=code_id, created_at=created_at
    )
    session.add(referral)
    await session.flush()


def _count_and_page(referrer_id: Any, after_id: Any, limit: Any) -> Select[Any, Any, Any]:
    """The referrer's account row left-joined with a keyset range scan of its referrals, so
    that one statement tells whether the user exists, how many referrals it has and which come
    next (rows of `(referrer id, referral count, referee id or NULL)`)."""
    page = (
        select(Referral.referee_id)
        .where(Referral.referrer_id == referrer_id, col(Referral.referee_id) > after_id)
        .order_by(col(Referral.referee_id))
        .limit(limit)
        .subquery("page")
    )
    return (
        select(User.id, User.referral_count, page.c.referee_id)
        .select_from(User)
        .outerjoin(page, true())
        .where(User.id == referrer_id)
        .order_by(page.c.referee_id)
    )


# Built once for the common case, a single referrer: each listing only binds its values.
_ONE_PAGE = _count_and_page(bindparam("referrer_id"), bindparam("after_id"), bindparam("limit"))


async def count_and_pages(
    session: AsyncSession, *, referrer_ids: Iterable[int], after_id: int | None, limit: int
) -> dict[int, tuple[int, list[int]]]:
    """Each referrer's referral count and up to `limit` referee ids after `after_id`, oldest
    first; referrers that do not exist are left out. One statement whatever their number (one
    range scan each, glued with UNION ALL): the cost follows the page, not the referral count."""
    ids = sorted(set(referrer_ids))
    if not ids:
        return {}
    after = after_id or 0
    if len(ids) == 1:
        params = {"referrer_id": ids[0], "after_id": after, "limit": limit}
        rows = (await session.exec(_ONE_PAGE, params=params)).all()
    else:
        pages = [_count_and_page(referrer_id, after, limit).subquery() for referrer_id in ids]
        query = union_all(*(page.select() for page in pages))
        rows = (await session.exec(query)).all()  # type: ignore[call-overload]  # a UNION
    found: dict[int, tuple[int, list[int]]] = {}
    for referrer_id, count, referee_id in rows:  # type: ignore[misc]  # rows of three columns
        _, referee_ids = found.setdefault(referrer_id, (count, []))
        if referee_id is not None:
            referee_ids.append(referee_id)
    for _, referee_ids in found.values():
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
