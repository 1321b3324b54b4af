"""Queries for enrichment: users waiting for it, their status, and their profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from sqlmodel import col, select, update

from app.domain.accounts import EnrichmentStatus
from app.models import Profile, User

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlmodel.ext.asyncio.session import AsyncSession


class PendingEnrichment(NamedTuple):
    """A user whose enrichment has not finished yet."""

    user_id: int
    email: str


async def list_pending_enrichments(
    session: AsyncSession, *, after_id: int, limit: int
) -> list[PendingEnrichment]:
    """Users still waiting for enrichment, by id, starting after `after_id`."""
    statement = (
        select(User.id, User.email)
        .where(User.enrichment_status == EnrichmentStatus.PENDING, col(User.id) > after_id)
        .order_by(col(User.id))
        .limit(limit)
    )
    rows = await session.exec(statement)
    return [PendingEnrichment(user_id, email) for user_id, email in rows if user_id is not None]


async def get_enrichment_status(session: AsyncSession, *, user_id: int) -> str | None:
    """The user's enrichment status; None as well when there is no such user."""
    statement = select(User.enrichment_status).where(User.id == user_id)
    return (await session.exec(statement)).first()


async def finish_enrichment(
    session: AsyncSession, *, user_id: int, status: EnrichmentStatus
) -> bool:
    """Move a pending enrichment to its final `status`; False when it was no longer pending."""
    statement = (
        update(User)
        .where(col(User.id) == user_id, col(User.enrichment_status) == EnrichmentStatus.PENDING)
        .values(enrichment_status=status)
    )
    result = await session.exec(statement)
    return result.rowcount == 1


async def upsert_profile(session: AsyncSession, *, profile: Profile) -> None:
    """Insert the user's profile, or overwrite every field of the one they have.

    Call it after `finish_enrichment` in the same transaction: that update holds the user's
    row, so two writers of one profile cannot both insert it.
    """
    await session.merge(profile)


async def list_profiles(session: AsyncSession, *, user_ids: Iterable[int]) -> list[Profile]:
    """The profiles of these users that have one, in no particular order."""
    ids = list(set(user_ids))
    if not ids:
        return []
    result = await session.exec(select(Profile).where(col(Profile.user_id).in_(ids)))
    return list(result.all())
