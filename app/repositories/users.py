"""Queries on accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select, update

from app.models import User

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlmodel.ext.asyncio.session import AsyncSession


async def get(session: AsyncSession, *, user_id: int) -> User | None:
    """The user with this id, or None."""
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, *, email: str) -> User | None:
    """The user with this (already normalised) email, or None."""
    result = await session.exec(select(User).where(User.email == email))
    return result.first()


async def list_by_ids(session: AsyncSession, *, user_ids: Iterable[int]) -> list[User]:
    """The users among these ids that exist, in no particular order."""
    ids = list(set(user_ids))
    if not ids:
        return []
    result = await session.exec(select(User).where(col(User.id).in_(ids)))
    return list(result.all())


async def add(session: AsyncSession, *, user: User) -> User:
    """Insert the user and assign its id (the caller commits; a taken email raises on flush)."""
    session.add(user)
    await session.flush()
    return user


async def increment_referral_count(session: AsyncSession, *, user_id: int) -> None:
    """Count one more referral atomically, so totalCount never needs to scan."""
    await session.exec(
        update(User).where(col(User.id) == user_id).values(referral_count=User.referral_count + 1)  # type: ignore[operator]
    )


async def set_superuser(session: AsyncSession, *, email: str, superuser: bool) -> bool:
    """Set whether the account with this email is a superuser; False when there is none."""
    result = await session.exec(
        update(User).where(col(User.email) == email).values(is_superuser=superuser)
    )
    return result.rowcount == 1
