"""Accounts: registration, sign-in and lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from app.errors import (
    BadUserInput,
    EmailRejected,
    EmailTaken,
    InactiveAccount,
    InvalidCredentials,
    ReferralCodeExpired,
    ReferralCodeInvalid,
)
from app.models import User
from app.repositories import referrals as referral_repo
from app.repositories import users as user_repo
from app.repositories.profiles import EnrichmentStatus
from app.security import hash_password, verify_password
from app.services import codes as code_service
from app.services.rules import check_password, normalize_code, normalize_email

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.cache import CachedCode
    from app.runtime import Runtime


_timing_equaliser: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Registration:
    """A new account and, when it joined with a code, the id of the code's owner."""

    user: User
    referrer_id: int | None


async def _unknown_user_hash() -> str:
    """A real hash to verify against when the email is unknown, so timing reveals nothing."""
    if "hash" not in _timing_equaliser:
        _timing_equaliser["hash"] = await hash_password("not a password, a timing equaliser")
    return _timing_equaliser["hash"]


async def register(
    session: AsyncSession,
    runtime: Runtime,
    *,
    email: str,
    password: str,
    referral_code: str | None = None,
) -> Registration:
    """Create an account, optionally as the referral of an active code's owner."""
    email = normalize_email(email)
    check_password(password)
    code = await _code_to_join_with(session, runtime, referral_code)
    if await user_repo.get_by_email(session, email=email) is not None:
        raise EmailTaken
    # The verifier may take seconds and the hash a while: hand the connection back to the pool
    # meanwhile, or slow verifications starve every other request of connections. (The unique
    # email constraint still settles a race with another registration.)
    await session.rollback()
    email_check = await _check_deliverable(runtime, email)
    user = User(
        email=email,
        hashed_password=await hash_password(password),
        email_check=email_check,
        enrichment_status=EnrichmentStatus.PENDING if runtime.enrichment is not None else None,
    )
    try:
        await user_repo.add(session, user=user)
        if code is not None:
            assert user.id is not None
            await referral_repo.add(
                session, referee_id=user.id, referrer_id=code.owner_id, code_id=code.id
            )
            await user_repo.increment_referral_count(session, user_id=code.owner_id)
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        if await user_repo.get_by_email(session, email=email) is not None:
            raise EmailTaken from exc
        raise
    await runtime.codes.invalidate(email=email)
    if runtime.enrichment is not None and user.id is not None:
        runtime.enrichment.submit(user_id=user.id, email=email)
    return Registration(user=user, referrer_id=code.owner_id if code is not None else None)


async def _release_connection(session: AsyncSession) -> None:
    """End the read-only transaction, so that the pooled connection is not held (idle in
    transaction) while a password hash waits for its thread. A commit, not a rollback: the
    loaded user must stay usable (a rollback would expire it)."""
    await session.commit()


async def _code_to_join_with(
    session: AsyncSession, runtime: Runtime, referral_code: str | None
) -> CachedCode | None:
    if referral_code is None or not referral_code.strip():
        return None
    value = normalize_code(referral_code, field="referralCode")
    code = await code_service.find(session, runtime, code=value)
    if code is None or code.deleted:
        raise ReferralCodeInvalid
    if not code.is_active(datetime.now(UTC)):
        raise ReferralCodeExpired
    return code


async def _check_deliverable(runtime: Runtime, email: str) -> str | None:
    if runtime.email_checker is None:
        return None
    verdict = await runtime.email_checker.check(email)
    if not verdict.accepted:
        raise EmailRejected
    return verdict.outcome


async def authenticate(session: AsyncSession, *, email: str, password: str) -> User:
    """The active user with these credentials; one error and one timing for every failure."""
    try:
        normalized = normalize_email(email)
    except BadUserInput:
        normalized = None
    user = await user_repo.get_by_email(session, email=normalized) if normalized else None
    await _release_connection(session)
    if user is None:
        await verify_password(password, await _unknown_user_hash())
        raise InvalidCredentials
    if not await verify_password(password, user.hashed_password):
        raise InvalidCredentials
    if not user.is_active:
        raise InactiveAccount
    return user
