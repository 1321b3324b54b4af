"""Queries on referral codes. A code is active while not retired and not expired."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select, update

from app.models import ReferralCode, User

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from sqlmodel.ext.asyncio.session import AsyncSession


def _active(now: datetime):  # type: ignore[no-untyped-def]
    return col(ReferralCode.retired_at).is_(None) & (col(ReferralCode.expires_at) > now)


async def get_by_code(session: AsyncSession, *, code: str) -> ReferralCode | None:
    """The code with this (upper-cased) value, in whatever state, or None."""
    result = await session.exec(select(ReferralCode).where(ReferralCode.code == code))
    return result.first()


async def get_active_by_email(
    session: AsyncSession, *, email: str, now: datetime
) -> ReferralCode | None:
    """The active code of the user with this email, or None."""
    result = await session.exec(
        select(ReferralCode)
        .join(User, col(User.id) == col(ReferralCode.owner_id))
        .where(User.email == email, _active(now))
    )
    return result.first()


async def list_active_by_owners(
    session: AsyncSession, *, owner_ids: Iterable[int], now: datetime
) -> list[ReferralCode]:
    """The active codes of these owners (at most one each)."""
    ids = list(set(owner_ids))
    if not ids:
        return []
    result = await session.exec(
        select(ReferralCode).where(col(ReferralCode.owner_id).in_(ids), _active(now))
    )
    return list(result.all())


async def retire_expired(session: AsyncSession, *, owner_id: int, now: datetime) -> None:
    """Retire the owner's current code if it has expired, making room for a new one."""
    await session.exec(
        update(ReferralCode)
        .where(
            col(ReferralCode.owner_id) == owner_id,
            col(ReferralCode.retired_at).is_(None),
            col(ReferralCode.expires_at) <= now,
        )
        .values(retired_at=now)
    )


async def add(session: AsyncSession, *, code: ReferralCode) -> ReferralCode:
    """Insert the code (a taken value or a second current code raises on flush)."""
    session.add(code)
    await session.flush()
    return code


async def delete_active(
    session: AsyncSession, *, owner_id: int, now: datetime
) -> ReferralCode | None:
    """Mark the owner's active code deleted in one statement; None when there is none."""
    result = await session.exec(
        update(ReferralCode)
        .where(col(ReferralCode.owner_id) == owner_id, _active(now))
        .values(deleted_at=now, retired_at=now)
        .returning(ReferralCode)
    )
    return result.scalars().first()  # type: ignore[attr-defined]
