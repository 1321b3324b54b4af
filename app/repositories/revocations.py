"""Queries on revoked access tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, delete, exists, select

from app.models import RevokedToken, User

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel.ext.asyncio.session import AsyncSession


async def add(session: AsyncSession, *, token_id: str, expires_at: datetime) -> None:
    """Record a revocation; the same token revoked twice (two logouts racing) is one record."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.exec(
        dialect.insert(RevokedToken)
        .values(token_id=token_id, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["token_id"])
    )


async def user_and_revocation(
    session: AsyncSession, *, user_id: int, token_id: str
) -> tuple[User | None, bool]:
    """The user with this id and whether this token of theirs is revoked, in one query;
    (None, False) when there is no such user."""
    revoked = exists().where(col(RevokedToken.token_id) == token_id).label("revoked")
    row = (await session.exec(select(User, revoked).where(col(User.id) == user_id))).first()
    return (None, False) if row is None else (row[0], bool(row[1]))


async def delete_expired(session: AsyncSession, *, now: datetime, limit: int) -> int:
    """Delete up to `limit` revocations of tokens expired by `now`, passing over rows that
    another instance's pruning holds; how many were deleted."""
    expired = (
        select(RevokedToken.token_id)
        .where(col(RevokedToken.expires_at) <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.exec(
        delete(RevokedToken).where(col(RevokedToken.token_id).in_(expired.scalar_subquery()))
    )
    return result.rowcount
