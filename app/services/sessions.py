"""Sign-in sessions: access JWTs, rotating refresh tokens with reuse detection, logout."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from app.domain.clock import utcnow
from app.errors import InactiveAccount, InvalidToken, TokenProblem
from app.models import RefreshToken
from app.repositories import revocations as revocation_repo
from app.repositories import tokens as token_repo
from app.repositories import users as user_repo
from app.security import hash_refresh_token, new_refresh_token

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.domain.clock import Clock
    from app.models import User
    from app.security import AccessClaims, TokenCodec
    from app.services.accounts import Accounts
    from app.services.revocations import RevocationList
    from app.uow import UnitOfWork


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


class Sessions:
    """The rules of sign-in: tokens that expire, rotate once, and stop at logout."""

    def __init__(
        self,
        *,
        accounts: Accounts,
        tokens: TokenCodec,
        revocations: RevocationList,
        refresh_ttl: int,
        clock: Clock = utcnow,
    ) -> None:
        self._accounts = accounts
        self._tokens = tokens
        self._revocations = revocations
        self._refresh_ttl = refresh_ttl
        self._clock = clock

    async def sign_in(self, uow: UnitOfWork, *, email: str, password: str) -> IssuedTokens:
        """Check the credentials, then open a session with an access and a refresh token."""
        user = await self._accounts.authenticate(uow, email=email, password=password)
        async with uow.write() as transaction:
            return await self._issue(transaction.session, user=user, family_id=str(uuid.uuid4()))

    async def grant_access(self, uow: UnitOfWork, *, email: str, password: str) -> AccessGrant:
        """Check the credentials, then issue an access token alone (what the auth cookie holds)."""
        user = await self._accounts.authenticate(uow, email=email, password=password)
        assert user.id is not None
        return AccessGrant(access_token=self._tokens.encode(user.id), expires_in=self._tokens.ttl)

    async def refresh(self, uow: UnitOfWork, *, refresh_token: str) -> IssuedTokens:
        """Trade a refresh token for new tokens; a token used twice revokes its whole family."""
        token_hash = hash_refresh_token(refresh_token)
        now = self._clock()
        async with uow.write() as transaction:
            session = transaction.session
            consumed = await token_repo.consume(session, token_hash=token_hash, now=now)
            if consumed is not None:
                user = await self._active_user(session, user_id=consumed.user_id)
                return await self._issue(session, user=user, family_id=consumed.family_id)
            known = await token_repo.get_by_hash(session, token_hash=token_hash)
            if known is not None and known.used_at is not None:
                # Reused: someone else holds the chain; revoke all of it, for good.
                await token_repo.revoke_family(session, family_id=known.family_id, now=now)
        raise InvalidToken(_refresh_problem(known, now=now))

    async def viewer(self, uow: UnitOfWork, *, access_token: str) -> User:
        """The active user an access token belongs to; UNAUTHENTICATED if it is bad or revoked."""
        claims = self._unrevoked_here(access_token)
        async with uow.read() as session:
            return await self._token_user(session, claims)

    async def sign_out(
        self, uow: UnitOfWork, *, access_token: str, refresh_token: str | None = None
    ) -> None:
        """Revoke a valid access token (UNAUTHENTICATED otherwise) and the refresh token's
        family, when it is the same user's; durable (committed) when this returns."""
        claims = self._unrevoked_here(access_token)
        async with uow.write() as transaction:
            session = transaction.session
            await self._token_user(session, claims)
            await self._revocations.revoke(
                transaction, token_id=claims.token_id, expires_at=claims.expires_at
            )
            if refresh_token is None:
                return
            known = await token_repo.get_by_hash(
                session, token_hash=hash_refresh_token(refresh_token)
            )
            if known is not None and known.user_id == claims.user_id:
                await token_repo.revoke_family(
                    session, family_id=known.family_id, now=self._clock()
                )

    async def _issue(self, session: AsyncSession, *, user: User, family_id: str) -> IssuedTokens:
        assert user.id is not None
        refresh_token = new_refresh_token()
        now = self._clock()
        await token_repo.add(
            session,
            token=RefreshToken(
                token_hash=hash_refresh_token(refresh_token),
                family_id=family_id,
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(seconds=self._refresh_ttl),
            ),
        )
        return IssuedTokens(
            access_token=self._tokens.encode(user.id),
            refresh_token=refresh_token,
            expires_in=self._tokens.ttl,
            user=user,
        )

    def _unrevoked_here(self, access_token: str) -> AccessClaims:
        """The token's claims, if it is well signed, unexpired and not revoked by this process
        (the first check, made without I/O; `_token_user` asks the database)."""
        claims = self._tokens.decode(access_token)
        if self._revocations.revoked_here(claims.token_id):
            raise InvalidToken(TokenProblem.REVOKED)
        return claims

    @staticmethod
    async def _token_user(session: AsyncSession, claims: AccessClaims) -> User:
        """The token's active user, loaded in the query that says whether any instance revoked
        the token: UNAUTHENTICATED if revoked or gone, FORBIDDEN if deactivated."""
        user, revoked = await revocation_repo.user_and_revocation(
            session, user_id=claims.user_id, token_id=claims.token_id
        )
        if revoked:
            raise InvalidToken(TokenProblem.REVOKED)
        return _active(user)

    @staticmethod
    async def _active_user(session: AsyncSession, *, user_id: int) -> User:
        """The user of a refresh token: UNAUTHENTICATED if gone, FORBIDDEN if deactivated."""
        return _active(await user_repo.get(session, user_id=user_id))


def _active(user: User | None) -> User:
    """A token's user, if it still exists (else UNAUTHENTICATED) and is active (else FORBIDDEN)."""
    if user is None:
        raise InvalidToken
    if not user.is_active:
        raise InactiveAccount
    return user


def _refresh_problem(token: RefreshToken | None, *, now: datetime) -> TokenProblem:
    """Why a refresh token could not be used: reused or revoked, expired, or unknown."""
    if token is None:
        return TokenProblem.INVALID
    if token.used_at is not None or token.revoked_at is not None:
        return TokenProblem.REVOKED
    return TokenProblem.EXPIRED if token.expires_at <= now else TokenProblem.INVALID
