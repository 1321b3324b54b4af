"""Queries on who referred whom, listed in join order by keyset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import col, select

from app.models import Referral

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlmodel.ext.asyncio.session import AsyncSession


async def add(session: AsyncSession, *, referee_id: int, referrer_id: int, code_id: int) -> None:
    """Record that the referee joined through the referrer's code."""
    session.add(Referral(referee_id=referee_id, referrer_id=referrer_id, code_id=code_id))
    await session.flush()


async def list_referee_ids(
    session: AsyncSession, *, referrer_id: int, after_id: int | None, limit: int
) -> list[int]:
    """Up to `limit` referee ids after `after_id`, oldest first, from the composite index."""
    query = select(Referral.referee_id).where(Referral.referrer_id == referrer_id)
    if after_id is not None:
        query = query.where(col(Referral.referee_id) > after_id)
    result = await session.exec(query.order_by(col(Referral.referee_id)).limit(limit))
    return list(result.all())


async def list_referee_ids_for_many(
    session: AsyncSession, *, referrer_ids: Iterable[int], after_id: int | None, limit: int
) -> dict[int, list[int]]:
    """The first page of referee ids of each referrer, in one query (for DataLoaders)."""
    ids = list(set(referrer_ids))
    if not ids:
        return {}
    position = (
        func.row_number()
        .over(partition_by=col(Referral.referrer_id), order_by=col(Referral.referee_id))
        .label("position")
    )
    ranked = select(Referral.referrer_id, Referral.referee_id, position).where(
        col(Referral.referrer_id).in_(ids)
    )
    if after_id is not None:
        ranked = ranked.where(col(Referral.referee_id) > after_id)
    subquery = ranked.subquery()
    result = await session.exec(
        select(subquery.c.referrer_id, subquery.c.referee_id)
        .where(subquery.c.position <= limit)
        .order_by(subquery.c.referrer_id, subquery.c.referee_id)
    )
    pages: dict[int, list[int]] = {referrer_id: [] for referrer_id in ids}
    for referrer_id, referee_id in result.all():
        pages[referrer_id].append(referee_id)
    return pages


async def referrer_ids_of(session: AsyncSession, *, referee_ids: Iterable[int]) -> dict[int, int]:
    """Map each of these referees that has a referrer to that referrer's id."""
    ids = list(set(referee_ids))
    if not ids:
        return {}
    result = await session.exec(
        select(Referral.referee_id, Referral.referrer_id).where(col(Referral.referee_id).in_(ids))
    )
    return dict(result.all())
