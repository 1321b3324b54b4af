"""The cache store: Redis, or memory in the embedded default.

The store never fails a request: when Redis errors or times out, a short circuit breaker turns
reads into misses and writes into no-ops, and invalidations that could not be written are kept
and replayed as soon as Redis answers again, so that a stale code is not served after recovery.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import orjson
from aiocache import RedisCache, SimpleMemoryCache
from aiocache.serializers import StringSerializer

if TYPE_CHECKING:
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
            if operation == "get" and isinstance(self.backend, RedisCache):
                # The hot read goes straight to the backend's Redis client (bytes back): aiocache's
                # four layers of wrappers around it (enabled, timeout, plugins, serializer) were
                # a sixth of a cached lookup's cost, and CacheStore bounds and breaks it itself.
                return await self.backend.client.get(self.backend.build_key(args[0]))
            return await getattr(self.backend, operation)(*args, **kwargs)

    async def get(self, key: str) -> str | None:
        try:
            value = await self._call("get", key)
        except CacheUnavailable:
            return None
        if isinstance(value, bytes):
            return value.decode()
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
