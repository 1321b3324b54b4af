"""Accounts: registration, sign-in with a password, and lookups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.exc import IntegrityError

from app.domain import events
from app.domain.accounts import EnrichmentStatus, check_password, normalize_email
from app.domain.clock import utcnow
from app.domain.stats import day_of
from app.errors import (
    BadUserInput,
    EmailRejected,
    EmailTaken,
    InactiveAccount,
    InvalidCredentials,
)
from app.models import User
from app.repositories import profiles as profile_repo
from app.repositories import referrals as referral_repo
from app.repositories import stats as stats_repo
from app.repositories import users as user_repo

if TYPE_CHECKING:
    from collections.abc import Iterable

    from app.domain.clock import Clock
    from app.domain.codes import Code
    from app.models import Profile
    from app.security import PasswordHasher
    from app.services.codes import Codes
    from app.services.events import EventLog
    from app.uow import Transaction, UnitOfWork


class EmailCheckResult(Protocol):
    @property
    def outcome(self) -> str: ...

    @property
    def accepted(self) -> bool: ...


class EmailChecker(Protocol):
    """Verifies an address before registration (Hunter, when configured)."""

    async def check(self, email: str) -> EmailCheckResult: ...


class EnrichmentSubmitter(Protocol):
    """Queues a profile enrichment after registration (Clearbit or Hunter, when configured)."""

    def submit(self, *, user_id: int, email: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Registration:
    """A new account and, when it joined with a code, the id of the code's owner."""

    user: User
    referrer_id: int | None


class Accounts:
    """The rules of accounts: one per email, passwords hashed, timing that reveals nothing."""

    def __init__(
        self,
        *,
        hasher: PasswordHasher,
        codes: Codes,
        events: EventLog,
        unknown_user_hash: str,
        email_checker: EmailChecker | None = None,
        enrichment: EnrichmentSubmitter | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._hasher = hasher
        self._codes = codes
        self._events = events
        # A real hash to verify against when the email is unknown, so timing reveals nothing.
        self._unknown_user_hash = unknown_user_hash
        self._email_checker = email_checker
        self._enrichment = enrichment
        self._clock = clock

    async def register(
        self, uow: UnitOfWork, *, email: str, password: str, referral_code: str | None = None
    ) -> Registration:
        """Create an account, optionally as the referral of an active code's owner.

        The checks read first; the email verifier and the hash (slow, and needing no database)
        run next with no connection held; the account is written last, in one short
        transaction. The unique email constraint settles a race with another registration.
        """
        email = normalize_email(email)
        check_password(password)
        code = await self._code_to_join_with(uow, referral_code)
        async with uow.read() as session:
            if await user_repo.get_by_email(session, email=email) is not None:
                raise EmailTaken
        email_check = await self._check_deliverable(email)
        user = User(
            email=email,
            hashed_password=await self._hasher.hash(password),
            email_check=email_check,
            enrichment_status=EnrichmentStatus.PENDING if self._enrichment is not None else None,
        )
        try:
            async with uow.write() as transaction:
                await self._insert(transaction, user=user, code=code)
                await self._record_events(transaction, user=user, code=code)
                transaction.after_commit(lambda: self._after_registration(user))
        except IntegrityError as exc:
            async with uow.read() as session:
                if await user_repo.get_by_email(session, email=email) is not None:
                    raise EmailTaken from exc
            raise
        return Registration(user=user, referrer_id=code.owner_id if code is not None else None)

    async def authenticate(self, uow: UnitOfWork, *, email: str, password: str) -> User:
        """The active user with these credentials; one error and one timing for every failure.

        The account is read first; the password is verified after, with no connection held.
        """
        try:
            normalized: str | None = normalize_email(email)
        except BadUserInput:
            normalized = None
        user = None
        if normalized is not None:
            async with uow.read() as session:
                user = await user_repo.get_by_email(session, email=normalized)
        if user is None:
            await self._hasher.verify(password, self._unknown_user_hash)
            raise InvalidCredentials
        if not await self._hasher.verify(password, user.hashed_password):
            raise InvalidCredentials
        if not user.is_active:
            raise InactiveAccount
        return user

    async def get(self, uow: UnitOfWork, *, user_id: int) -> User | None:
        """The user with this id, or None."""
        async with uow.read() as session:
            return await user_repo.get(session, user_id=user_id)

    async def by_ids(self, uow: UnitOfWork, *, user_ids: Iterable[int]) -> dict[int, User]:
        """The users among these ids that exist, by id."""
        async with uow.read() as session:
            users = await user_repo.list_by_ids(session, user_ids=user_ids)
        return {user.id: user for user in users if user.id is not None}

    async def profiles(self, uow: UnitOfWork, *, user_ids: Iterable[int]) -> dict[int, Profile]:
        """The enriched profiles of these users that have one, by user id."""
        async with uow.read() as session:
            profiles = await profile_repo.list_profiles(session, user_ids=user_ids)
        return {profile.user_id: profile for profile in profiles}

    async def _code_to_join_with(self, uow: UnitOfWork, referral_code: str | None) -> Code | None:
        if referral_code is None or not referral_code.strip():
            return None
        return await self._codes.joinable(uow, code=referral_code)

    async def _check_deliverable(self, email: str) -> str | None:
        if self._email_checker is None:
            return None
        verdict = await self._email_checker.check(email)
        if not verdict.accepted:
            raise EmailRejected
        return verdict.outcome

    async def _insert(self, transaction: Transaction, *, user: User, code: Code | None) -> None:
        """The account and, with a code, the code's use (refused when it is no longer active
        or used up: nothing is written then), the referral and its owner's counts (in all, and
        on the UTC day it joined)."""
        session = transaction.session
        if code is not None:
            await self._codes.use(transaction, code=code)
        await user_repo.add(session, user=user)
        if code is not None:
            assert user.id is not None
            joined_at = self._clock()
            await referral_repo.add(
                session,
                referee_id=user.id,
                referrer_id=code.owner_id,
                code_id=code.id,
                created_at=joined_at,
            )
            await user_repo.increment_referral_count(session, user_id=code.owner_id)
            await stats_repo.count_referral(session, user_id=code.owner_id, day=day_of(joined_at))

    async def _record_events(
        self, transaction: Transaction, *, user: User, code: Code | None
    ) -> None:
        """`user.registered`, and `referral.joined` when the account joined with a code."""
        assert user.id is not None
        await self._events.record(
            transaction,
            events.user_registered(user_id=user.id, email=user.email, created_at=user.created_at),
        )
        if code is not None:
            await self._events.record(
                transaction,
                events.referral_joined(
                    referrer_id=code.owner_id,
                    referee_id=user.id,
                    email=user.email,
                    created_at=user.created_at,
                    code=code.code,
                ),
            )

    async def _after_registration(self, user: User) -> None:
        """Queue the enrichment. (No cache entry needs forgetting: a lookup of the address
        before it was registered found no code, and a new account has none.)"""
        assert user.id is not None
        if self._enrichment is not None:
            self._enrichment.submit(user_id=user.id, email=user.email)
