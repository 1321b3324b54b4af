"""Queries on refresh tokens; rotation is one conditional UPDATE, so only one use can win."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select, update

from app.models import RefreshToken

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel.ext.asyncio.session import AsyncSession


async def add(session: AsyncSession, *, token: RefreshToken) -> RefreshToken:
    """Store a new refresh token record."""
    session.add(token)
    await session.flush()
    return token


async def consume(session: AsyncSession, *, token_hash: str, now: datetime) -> RefreshToken | None:
    """Mark a live token used and return it; None if it is unknown, used, revoked or expired."""
    result = await session.exec(
        update(RefreshToken)
        .where(
            col(RefreshToken.token_hash) == token_hash,
            col(RefreshToken.used_at).is_(None),
            col(RefreshToken.revoked_at).is_(None),
            col(RefreshToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(RefreshToken)
    )
    return result.scalars().first()  # type: ignore[attr-defined]


async def get_by_hash(session: AsyncSession, *, token_hash: str) -> RefreshToken | None:
    """The token record with this hash, in whatever state."""
    result = await session.exec(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    return result.first()


async def revoke_family(session: AsyncSession, *, family_id: str, now: datetime) -> None:
    """Revoke every token of a rotation chain (on logout, or when a used token comes back)."""
    await session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
