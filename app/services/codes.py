"""Referral codes: create, delete and look up, with the cache kept exact."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from app.cache import CachedCode
from app.errors import ActiveCodeExists, CodeTaken, NoActiveCode
from app.models import ReferralCode
from app.repositories import codes as code_repo
from app.services.rules import check_expiry, generate_code, normalize_code, normalize_email

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.db import SessionScope
    from app.models import User
    from app.runtime import Runtime

GENERATION_ATTEMPTS = 8


def snapshot(code: ReferralCode) -> CachedCode:
    """What the cache and the transport layers see of a code."""
    assert code.id is not None
    return CachedCode(
        id=code.id,
        code=code.code,
        owner_id=code.owner_id,
        created_at=code.created_at,
        expires_at=code.expires_at,
        deleted=code.deleted_at is not None,
    )


async def create(
    session: AsyncSession,
    runtime: Runtime,
    *,
    owner: User,
    expires_at: datetime,
    code: str | None = None,
) -> CachedCode:
    """Give the owner a new active code; CONFLICT while another is active or the value is taken."""
    now = datetime.now(UTC)
    expiry = check_expiry(expires_at, now=now, max_days=runtime.settings.code_max_ttl_days)
    chosen = normalize_code(code) if code is not None else None
    assert owner.id is not None
    for _ in range(GENERATION_ATTEMPTS):
        value = chosen or generate_code()
        try:
            created = await _insert(session, owner_id=owner.id, value=value, expiry=expiry, now=now)
        except CodeTaken:
            if chosen is not None:
                raise
            continue
        if created is not None:
            await runtime.codes.invalidate(email=owner.email, code=created.code)
            return snapshot(created)
    raise CodeTaken("Could not find a free code; try again.")


async def _insert(
    session: AsyncSession, *, owner_id: int, value: str, expiry: datetime, now: datetime
) -> ReferralCode | None:
    """Insert and commit. The database decides every race; None asks the caller to retry."""
    try:
        await code_repo.retire_expired(session, owner_id=owner_id, now=now)
        created = await code_repo.add(
            session,
            code=ReferralCode(code=value, owner_id=owner_id, created_at=now, expires_at=expiry),
        )
        await session.commit()
    except IntegrityError:
        await session.rollback()
        if await code_repo.list_active_by_owners(session, owner_ids=[owner_id], now=now):
            raise ActiveCodeExists from None
        if await code_repo.get_by_code(session, code=value) is not None:
            raise CodeTaken from None
        return None
    return created


async def delete(session: AsyncSession, runtime: Runtime, *, owner: User) -> CachedCode:
    """Delete the owner's active code and return it; NOT_FOUND when there is none."""
    assert owner.id is not None
    deleted = await code_repo.delete_active(session, owner_id=owner.id, now=datetime.now(UTC))
    if deleted is None:
        await session.rollback()
        raise NoActiveCode
    await session.commit()
    await runtime.codes.invalidate(email=owner.email, code=deleted.code)
    return snapshot(deleted)


async def active_by_email(db: SessionScope, runtime: Runtime, *, email: str) -> CachedCode | None:
    """The active code of the user with this email; None for unknown emails and dead codes.

    Takes `db` rather than a session: a cache hit, the common case, needs no session at all.
    """
    normalized = normalize_email(email)

    async def load() -> CachedCode | None:
        async with db() as session:
            found = await code_repo.get_active_by_email(
                session, email=normalized, now=datetime.now(UTC)
            )
        return snapshot(found) if found is not None else None

    return await runtime.codes.by_email(normalized, load)


async def find(session: AsyncSession, runtime: Runtime, *, code: str) -> CachedCode | None:
    """The code with this normalised value in whatever state, through the cache."""

    async def load() -> CachedCode | None:
        found = await code_repo.get_by_code(session, code=code)
        return snapshot(found) if found is not None else None

    return await runtime.codes.by_code(code, load)


async def active_by_owners(session: AsyncSession, *, owner_ids: list[int]) -> dict[int, CachedCode]:
    """The active code of each of these owners that has one (for DataLoaders)."""
    found = await code_repo.list_active_by_owners(
        session, owner_ids=owner_ids, now=datetime.now(UTC)
    )
    return {code.owner_id: snapshot(code) for code in found}
