"""Sign-in sessions: access JWTs, rotating refresh tokens with reuse detection, logout."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from app.errors import InactiveAccount, InvalidToken
from app.models import RefreshToken
from app.repositories import tokens as token_repo
from app.repositories import users as user_repo
from app.security import AccessClaims, hash_refresh_token, new_refresh_token
from app.services import accounts

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.models import User
    from app.runtime import Runtime


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2.0 token type, not a secret


@dataclass(frozen=True, slots=True)
class AccessGrant:
    access_token: str
    expires_in: int


async def sign_in(
    session: AsyncSession, runtime: Runtime, *, email: str, password: str
) -> IssuedTokens:
    """Check the credentials, then open a session with an access and a refresh token."""
    user = await accounts.authenticate(session, email=email, password=password)
    return await _issue(session, runtime, user=user, family_id=str(uuid.uuid4()))


async def grant_access(
    session: AsyncSession, runtime: Runtime, *, email: str, password: str
) -> AccessGrant:
    """Check the credentials, then issue an access token alone (what the auth cookie carries)."""
    user = await accounts.authenticate(session, email=email, password=password)
    assert user.id is not None
    return AccessGrant(access_token=runtime.tokens.encode(user.id), expires_in=runtime.tokens.ttl)


async def _issue(
    session: AsyncSession, runtime: Runtime, *, user: User, family_id: str
) -> IssuedTokens:
    assert user.id is not None
    refresh_token = new_refresh_token()
    now = datetime.now(UTC)
    await token_repo.add(
        session,
        token=RefreshToken(
            token_hash=hash_refresh_token(refresh_token),
            family_id=family_id,
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(seconds=runtime.settings.refresh_token_ttl),
        ),
    )
    await session.commit()
    return IssuedTokens(
        access_token=runtime.tokens.encode(user.id),
        refresh_token=refresh_token,
        expires_in=runtime.tokens.ttl,
        user=user,
    )


async def refresh(session: AsyncSession, runtime: Runtime, *, refresh_token: str) -> IssuedTokens:
    """Trade a refresh token for new tokens; a token used twice revokes its whole family."""
    token_hash = hash_refresh_token(refresh_token)
    now = datetime.now(UTC)
    consumed = await token_repo.consume(session, token_hash=token_hash, now=now)
    if consumed is None:
        known = await token_repo.get_by_hash(session, token_hash=token_hash)
        if known is not None and known.used_at is not None:
            await token_repo.revoke_family(session, family_id=known.family_id, now=now)
            await session.commit()
        raise InvalidToken
    user = await _active_user(session, user_id=consumed.user_id)
    return await _issue(session, runtime, user=user, family_id=consumed.family_id)


async def authenticate(session: AsyncSession, runtime: Runtime, *, access_token: str) -> User:
    """The active user an access token belongs to; UNAUTHENTICATED if it is bad or revoked."""
    claims = await _live_claims(runtime, access_token)
    return await _active_user(session, user_id=claims.user_id)


async def _live_claims(runtime: Runtime, access_token: str) -> AccessClaims:
    """The token's claims, if it is well signed, unexpired and not revoked."""
    claims = runtime.tokens.decode(access_token)
    if await runtime.revocations.is_revoked(claims.token_id):
        raise InvalidToken
    return claims


async def _active_user(session: AsyncSession, *, user_id: int) -> User:
    """The token's user: UNAUTHENTICATED if gone, FORBIDDEN if deactivated."""
    user = await user_repo.get(session, user_id=user_id)
    if user is None:
        raise InvalidToken
    if not user.is_active:
        raise InactiveAccount
    return user


async def sign_out(
    session: AsyncSession, runtime: Runtime, *, access_token: str, refresh_token: str | None = None
) -> None:
    """Revoke a valid access token (UNAUTHENTICATED otherwise) and the refresh token's family."""
    claims = await _live_claims(runtime, access_token)
    await _active_user(session, user_id=claims.user_id)
    await runtime.revocations.revoke(token_id=claims.token_id, expires_at=claims.expires_at)
    if refresh_token is None:
        return
    known = await token_repo.get_by_hash(session, token_hash=hash_refresh_token(refresh_token))
    if known is not None and known.user_id == claims.user_id:
        await token_repo.revoke_family(session, family_id=known.family_id, now=datetime.now(UTC))
        await session.commit()
