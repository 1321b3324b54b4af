"""The cache store (Redis, or memory in the embedded default) and the referral-code cache.

The store never fails a request: when Redis errors or times out, a short circuit breaker turns
reads into misses and writes into no-ops, and invalidations that could not be written are kept
and replayed as soon as Redis answers again, so that a stale code is not served after recovery.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import orjson
from aiocache import RedisCache, SimpleMemoryCache
from aiocache.serializers import StringSerializer

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiocache.base import BaseCache

logger = logging.getLogger(__name__)

BREAKER_SECONDS = 2.0
TOMBSTONE_TTL = 3600


def _redis_backend(url: str, timeout: float) -> BaseCache:
    """A Redis cache that bounds only connecting; CacheStore bounds each call as a whole.

    Neither aiocache's `timeout` nor redis-py's `socket_timeout`: each wraps every call (every
    command written, for redis-py) in `asyncio.wait_for`, which creates a task per call on
    Python 3.11.
    """
    parts = urlsplit(url)
    return RedisCache(
        serializer=StringSerializer(),
        endpoint=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        db=int(parts.path.lstrip("/") or 0),
        password=unquote(parts.password) if parts.password else None,
        create_connection_timeout=timeout,
        connection_pool_kwargs={"socket_timeout": None},
        timeout=None,
        namespace="referrals",
    )


class CacheStore:
    """Key-value operations on strings that degrade to misses instead of raising."""

    def __init__(self, backend: BaseCache, *, remote: bool, timeout: float | None = None) -> None:
        self.backend = backend
        self.remote = remote
        self.timeout = timeout
        self._open_until = 0.0
        self._pending_invalidations: dict[str, tuple[str, int]] = {}

    @classmethod
    def from_url(cls, url: str | None, *, timeout: float) -> CacheStore:
        """Redis for a `redis://` URL; in-process memory when there is none."""
        if url:
            return cls(_redis_backend(url, timeout), remote=True, timeout=timeout)
        return cls(SimpleMemoryCache(serializer=StringSerializer(), timeout=None), remote=False)

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._open_until

    async def _call(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        if not self.available:
            raise CacheUnavailable
        try:
            if self._pending_invalidations:
                await self._replay_invalidations()
            return await self._bounded(operation, *args, **kwargs)
        except (ValueError, TypeError):
            raise
        except Exception as exc:
            if self.available:
                logger.warning(
                    "cache unavailable (%s); serving from the database", type(exc).__name__
                )
            self._open_until = time.monotonic() + BREAKER_SECONDS
            raise CacheUnavailable from exc

    async def _replay_invalidations(self) -> None:
        """Write the tombstones the store missed; any not written (failure, cancellation) stay
        pending, unless a newer one for the same key came meanwhile."""
        pending = list(self._pending_invalidations.items())
        self._pending_invalidations = {}
        for index, (key, (value, ttl)) in enumerate(pending):
            try:
                await self._bounded("set", key, value, ttl=ttl)
            except BaseException:
                for unwritten, entry in pending[index:]:
                    self._pending_invalidations.setdefault(unwritten, entry)
                raise

    async def _bounded(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        """One backend call, abandoned (TimeoutError) after `timeout` seconds."""
        async with asyncio.timeout(self.timeout):
            return await getattr(self.backend, operation)(*args, **kwargs)

    async def get(self, key: str) -> str | None:
        try:
            value = await self._call("get", key)
        except CacheUnavailable:
            return None
        return value if isinstance(value, str) else None

    async def set(self, key: str, value: str, *, ttl: int) -> bool:
        try:
            await self._call("set", key, value, ttl=ttl)
        except CacheUnavailable:
            return False
        return True

    async def add(self, key: str, value: str, *, ttl: int) -> bool:
        """Set only if absent (SET NX); False when the key exists or the store is down."""
        try:
            await self._call("add", key, value, ttl=ttl)
        except (CacheUnavailable, ValueError):
            return False
        return True

    async def compare_and_set(self, key: str, value: str, *, expected: str, ttl: int) -> bool:
        """Set only if the key still holds `expected`."""
        try:
            return bool(await self._call("set", key, value, ttl=ttl, _cas_token=expected))
        except CacheUnavailable:
            return False

    async def invalidate(self, key: str) -> None:
        """Replace the key with a fresh tombstone; replayed later if the store is down now.

        A tombstone, not a delete: a reader that loaded from the database before the change
        then fails its compare-and-set instead of writing the old value back.
        """
        value = orjson.dumps({"stale": uuid.uuid4().hex}).decode()
        if not await self.set(key, value, ttl=TOMBSTONE_TTL):
            self._pending_invalidations[key] = (value, TOMBSTONE_TTL)

    async def ping(self) -> bool:
        """True when the store answers now (ignores the breaker, for readiness checks)."""
        self._open_until = 0.0
        try:
            await self._call("exists", "ping")
        except CacheUnavailable:
            return False
        return True

    async def close(self) -> None:
        await self.backend.close()


class CacheUnavailable(Exception):
    """The cache store did not answer; callers fall back to the source of truth."""


@dataclass(frozen=True, slots=True)
class CachedCode:
    """What the cache keeps of a referral code: enough to answer a lookup and check a signup."""

    id: int
    code: str
    owner_id: int
    created_at: datetime
    expires_at: datetime
    deleted: bool = False

    def is_active(self, now: datetime) -> bool:
        return not self.deleted and self.expires_at > now

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "owner_id": self.owner_id,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "deleted": self.deleted,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CachedCode:
        return cls(
            id=data["id"],
            code=data["code"],
            owner_id=data["owner_id"],
            created_at=datetime.fromisoformat(data["created_at"]),
            expires_at=datetime.fromisoformat(data["expires_at"]),
            deleted=data["deleted"],
        )


def email_key(email: str) -> str:
    return f"code:email:{email}"


def code_key(code: str) -> str:
    return f"code:value:{code}"


class CodeCache:
    """Read-through cache of referral codes by owner email and by code value.

    Entries are `{"v": code}`, `{"none": 1}` or a tombstone `{"stale": token}`. A miss fills the
    key with SET NX (or compare-and-set over the tombstone it saw), so a fill that raced an
    invalidation loses. An entry never outlives the expiry of the code it holds.
    """

    def __init__(self, store: CacheStore, *, ttl: int) -> None:
        self.store = store
        self.ttl = ttl

    async def by_email(
        self, email: str, load: Callable[[], Awaitable[CachedCode | None]]
    ) -> CachedCode | None:
        """The active code of the user with this email, or None."""
        code = await self._read_through(email_key(email), load)
        return code if code is not None and code.is_active(datetime.now(UTC)) else None

    async def by_code(
        self, code: str, load: Callable[[], Awaitable[CachedCode | None]]
    ) -> CachedCode | None:
        """The code with this value, active or not (the caller tells expired from deleted)."""
        return await self._read_through(code_key(code), load)

    async def invalidate(self, *, email: str | None = None, code: str | None = None) -> None:
        """Forget what is cached for an owner's email and for a code value."""
        if email is not None:
            await self.store.invalidate(email_key(email))
        if code is not None:
            await self.store.invalidate(code_key(code))

    async def _read_through(
        self, key: str, load: Callable[[], Awaitable[CachedCode | None]]
    ) -> CachedCode | None:
        raw = await self.store.get(key)
        if raw is not None:
            entry = orjson.loads(raw)
            if "v" in entry:
                return CachedCode.from_json(entry["v"])
            if "none" in entry:
                return None
        value = await load()
        await self._fill(key, value, seen=raw)
        return value

    async def _fill(self, key: str, value: CachedCode | None, *, seen: str | None) -> None:
        ttl = self.ttl
        if value is None:
            payload = orjson.dumps({"none": 1}).decode()
        else:
            payload = orjson.dumps({"v": value.to_json()}).decode()
            if not value.deleted:
                seconds_left = int((value.expires_at - datetime.now(UTC)).total_seconds())
                ttl = max(1, min(ttl, seconds_left))
        if seen is None:
            await self.store.add(key, payload, ttl=ttl)
        else:
            await self.store.compare_and_set(key, payload, expected=seen, ttl=ttl)
