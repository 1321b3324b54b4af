"""Referral codes: create, delete and look up, with the cache kept exact."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from app.domain import events
from app.domain.accounts import normalize_email
from app.domain.clock import utcnow
from app.domain.codes import Code, check_expiry, check_max_uses, generate_code, normalize_code
from app.errors import (
    ActiveCodeExists,
    CodeTaken,
    DomainError,
    NoActiveCode,
    ReferralCodeExhausted,
    ReferralCodeExpired,
    ReferralCodeInvalid,
)
from app.models import ReferralCode
from app.repositories import codes as code_repo

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable
    from datetime import datetime

    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.cache import CachedLookup, CodeCache
    from app.domain.clock import Clock
    from app.models import User
    from app.services.events import EventLog
    from app.uow import Transaction, UnitOfWork

GENERATION_ATTEMPTS = 8


def as_code(row: ReferralCode) -> Code:
    """The domain value of a code row."""
    assert row.id is not None
    return Code(
        id=row.id,
        code=row.code,
        owner_id=row.owner_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        deleted=row.deleted_at is not None,
        max_uses=row.max_uses,
        uses=row.uses,
    )


@dataclass(frozen=True, slots=True)
class CodeCounts:
    """How often a code was used and its share link visited, as counted now."""

    uses: int
    visits: int


class Codes:
    """The rules of referral codes: one active code per owner, unique forever, never stale."""

    def __init__(
        self, *, cache: CodeCache, events: EventLog, max_ttl_days: int, clock: Clock = utcnow
    ) -> None:
        self._cache = cache
        self._events = events
        self._max_ttl_days = max_ttl_days
        self._clock = clock

    async def create(
        self,
        uow: UnitOfWork,
        *,
        owner: User,
        expires_at: datetime,
        code: str | None = None,
        max_uses: int | None = None,
    ) -> Code:
        """Give the owner a new active code; CONFLICT while one is active or the value is taken."""
        now = self._clock()
        expiry = check_expiry(expires_at, now=now, max_days=self._max_ttl_days)
        limit = check_max_uses(max_uses)
        chosen = normalize_code(code) if code is not None else None
        assert owner.id is not None
        for _ in range(GENERATION_ATTEMPTS):
            value = chosen or generate_code()
            try:
                created = await self._insert(
                    uow, owner=owner, value=value, expiry=expiry, limit=limit, now=now
                )
            except IntegrityError:
                # The database decided a race: tell which rule it enforced.
                if await self._has_active_code(uow, owner_id=owner.id, now=now):
                    raise ActiveCodeExists from None
                if chosen is not None:
                    raise CodeTaken from None
                continue  # a generated value someone holds: draw another
            return created
        raise CodeTaken("Could not find a free code; try again.")

    async def _insert(
        self,
        uow: UnitOfWork,
        *,
        owner: User,
        value: str,
        expiry: datetime,
        limit: int | None,
        now: datetime,
    ) -> Code:
        assert owner.id is not None
        async with uow.write() as transaction:
            session = transaction.session
            current = await code_repo.get_current(session, owner_id=owner.id, for_update=True)
            if current is not None:
                if as_code(current).is_active(now):
                    raise ActiveCodeExists
                await code_repo.retire(session, code_id=as_code(current).id, now=now)
            row = ReferralCode(
                code=value, owner_id=owner.id, created_at=now, expires_at=expiry, max_uses=limit
            )
            created = as_code(await code_repo.add(session, code=row))
            await self._events.record(
                transaction, events.code_created(created, max_uses=created.max_uses)
            )
            transaction.after_commit(
                lambda: self._cache.invalidate(email=owner.email, code=created.code)
            )
        return created

    async def delete(self, uow: UnitOfWork, *, owner: User) -> Code:
        """Delete the owner's active code and return it; NOT_FOUND when there is none."""
        assert owner.id is not None
        now = self._clock()
        async with uow.write() as transaction:
            session = transaction.session
            current = await code_repo.get_current(session, owner_id=owner.id, for_update=True)
            if current is None or not as_code(current).is_active(now):
                raise NoActiveCode
            code = as_code(current)
            if not await code_repo.retire(session, code_id=code.id, now=now, deleted=True):
                raise NoActiveCode  # deleted by a concurrent request
            await self._events.record(transaction, events.code_deleted(code))
            transaction.after_commit(
                lambda: self._cache.invalidate(email=owner.email, code=code.code)
            )
        return replace(code, deleted=True)

    async def active_by_email(self, uow: UnitOfWork, *, email: str) -> Code | None:
        """The active code of the user with this email; None for unknown emails and codes that
        expired or were deleted alike. A cache hit reads no database."""
        normalized = normalize_email(email)
        code = await self._through_cache(
            uow,
            await self._cache.by_email(normalized),
            lambda session: code_repo.get_current_by_email(session, email=normalized),
        )
        return code if code is not None and code.is_active(self._clock()) else None

    async def joinable(self, uow: UnitOfWork, *, code: str) -> Code:
        """The active code a newcomer registers with, through the cache; BAD_USER_INPUT for a
        malformed one, REFERRAL_CODE_INVALID, _EXPIRED or _EXHAUSTED for one they cannot use."""
        value = normalize_code(code, field="referral_code")
        found = await self._through_cache(
            uow,
            await self._cache.by_code(value),
            lambda session: code_repo.get_by_code(session, code=value),
        )
        refusal = self._refusal(found, now=self._clock())
        if refusal is not None:
            raise refusal
        assert found is not None
        return found

    async def shared(self, uow: UnitOfWork, *, code: str) -> Code | None:
        """The active code a share link names, through the cache; None for one that is not
        (unknown, deleted, expired, used up); BAD_USER_INPUT for a malformed one."""
        value = normalize_code(code)
        found = await self._through_cache(
            uow,
            await self._cache.by_code(value),
            lambda session: code_repo.get_by_code(session, code=value),
        )
        return found if found is not None and found.is_active(self._clock()) else None

    async def use(self, transaction: Transaction, *, code: Code) -> None:
        """Count a registration with the code, in the registration's transaction: the database
        admits it only while the code is active and within its limit (REFERRAL_CODE_INVALID,
        _EXPIRED or _EXHAUSTED otherwise, and the registration rolls back).

        The registration that uses the code up forgets it in the cache once committed, before
        it is answered, as `delete` does: from then on no lookup serves it.
        """
        session = transaction.session
        now = self._clock()
        counted = await code_repo.use(session, code_id=code.id, now=now)
        if counted is None:
            row = await code_repo.get(session, code_id=code.id)
            now_seen = as_code(row) if row is not None else None
            # The UPDATE's condition is the refusal's own, so the row it refused has one.
            raise self._refusal(now_seen, now=now) or ReferralCodeInvalid()
        uses, max_uses = counted
        if max_uses is not None and uses >= max_uses:
            email = await code_repo.owner_email(session, owner_id=code.owner_id)
            transaction.after_commit(lambda: self._cache.invalidate(email=email, code=code.code))

    async def counts(self, uow: UnitOfWork, *, code_ids: Iterable[int]) -> dict[int, CodeCounts]:
        """The uses and visits of these codes, read now (the cache does not keep counts)."""
        async with uow.read() as session:
            rows = await code_repo.list_counts(session, code_ids=code_ids)
        return {code_id: CodeCounts(uses=uses, visits=visits) for code_id, uses, visits in rows}

    @staticmethod
    def _refusal(code: Code | None, *, now: datetime) -> DomainError | None:
        """Why a newcomer cannot register with this code now, or None when they can."""
        if code is None or code.deleted:
            return ReferralCodeInvalid()
        if code.used_up:
            return ReferralCodeExhausted()
        if not code.is_active(now):
            return ReferralCodeExpired()
        return None

    async def active_by_owners(
        self, uow: UnitOfWork, *, owner_ids: Iterable[int]
    ) -> dict[int, Code]:
        """The active code of each of these owners that has one."""
        async with uow.read() as session:
            rows = await code_repo.list_current_by_owners(session, owner_ids=owner_ids)
        now = self._clock()
        codes = (as_code(row) for row in rows)
        return {code.owner_id: code for code in codes if code.is_active(now)}

    async def _through_cache(
        self,
        uow: UnitOfWork,
        cached: CachedLookup,
        query: Callable[[AsyncSession], Awaitable[ReferralCode | None]],
    ) -> Code | None:
        """What the cache knew, or else what `query` reads, remembered for the next lookup."""
        if cached.hit:
            return cached.value
        async with uow.read() as session:
            row = await query(session)
        code = as_code(row) if row is not None else None
        await self._cache.fill(cached, code)
        return code

    async def _has_active_code(self, uow: UnitOfWork, *, owner_id: int, now: datetime) -> bool:
        async with uow.read() as session:
            current = await code_repo.get_current(session, owner_id=owner_id)
        return current is not None and as_code(current).is_active(now)
