"""The code cache: read-through, exact invalidation, and no stale fill after a race."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from aiocache import SimpleMemoryCache
from aiocache.serializers import StringSerializer

from app.cache import CacheStore, CodeCache
from app.domain.codes import Code

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


def a_code(value: str = "ABCD1234", *, days: float = 1) -> Code:
    now = datetime.now(UTC)
    return Code(id=1, code=value, owner_id=7, created_at=now, expires_at=now + timedelta(days=days))


@pytest.fixture
async def store(backend: dict[str, Any]) -> AsyncIterator[CacheStore]:
    cache = CacheStore.from_url(backend["redis_url"], timeout=0.5)
    yield cache
    await cache.close()


class Loader:
    """Counts database loads and can hold one open until told to finish."""

    def __init__(self, value: Code | None) -> None:
        self.value = value
        self.calls = 0
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> Code | None:
        self.calls += 1
        self.started.set()
        value = self.value
        await self.release.wait()
        return value


async def active_by_email(cache: CodeCache, email: str, load: Loader) -> Code | None:
    """A lookup as the codes service makes it: the cache, the database on a miss, then a fill."""
    cached = await cache.by_email(email)
    if cached.hit:
        code = cached.value
    else:
        code = await load()
        await cache.fill(cached, code)
    return code if code is not None and code.is_active(datetime.now(UTC)) else None


async def test_a_hit_does_not_reach_the_database(store: CacheStore) -> None:
    cache = CodeCache(store, ttl=60)
    email = f"{uuid.uuid4().hex}@example.com"
    load = Loader(a_code())
    assert await active_by_email(cache, email, load) == load.value
    assert await active_by_email(cache, email, load) == load.value
    assert load.calls == 1


async def test_a_fill_that_raced_an_invalidation_is_not_kept(store: CacheStore) -> None:
    cache = CodeCache(store, ttl=60)
    email = f"{uuid.uuid4().hex}@example.com"
    stale = Loader(a_code("OLDCODE1"))
    stale.release.clear()
    reader = asyncio.create_task(active_by_email(cache, email, stale))
    await stale.started.wait()
    await cache.invalidate(email=email)  # the code was deleted after the reader loaded it
    stale.release.set()
    assert (await reader).code == "OLDCODE1"  # that reader saw the world before the delete
    fresh = Loader(None)
    assert await active_by_email(cache, email, fresh) is None
    assert fresh.calls == 1


async def test_an_expired_entry_is_never_served(store: CacheStore) -> None:
    cache = CodeCache(store, ttl=60)
    email = f"{uuid.uuid4().hex}@example.com"
    load = Loader(a_code(days=1.2 / 86400))
    assert await active_by_email(cache, email, load) is not None
    await asyncio.sleep(1.3)
    assert await active_by_email(cache, email, load) is None


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_an_unreachable_redis_turns_lookups_into_database_reads() -> None:
    store = CacheStore.from_url(f"redis://127.0.0.1:{closed_port()}/0", timeout=0.2)
    cache = CodeCache(store, ttl=60)
    load = Loader(a_code())
    started = asyncio.get_running_loop().time()
    for _ in range(5):
        assert await active_by_email(cache, "someone@example.com", load) == load.value
    assert load.calls == 5
    assert asyncio.get_running_loop().time() - started < 1.0
    assert await store.ping() is False
    await store.close()


@pytest.mark.timeout(10)  # without a bound on each call, the first lookup would wait forever
async def test_a_redis_that_never_answers_turns_lookups_into_database_reads() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) and says nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        store = CacheStore.from_url(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", timeout=0.2)
        cache = CodeCache(store, ttl=60)
        load = Loader(a_code())
        started = asyncio.get_running_loop().time()
        for _ in range(5):
            assert await active_by_email(cache, "someone@example.com", load) == load.value
        assert load.calls == 5
        assert asyncio.get_running_loop().time() - started < 1.0
        await store.close()


class FlakyMemory(SimpleMemoryCache):
    """An in-process store whose writes fail, or hang, on demand."""

    def __init__(self) -> None:
        super().__init__(serializer=StringSerializer(), timeout=None)
        self.writes_left: int | None = None  # None: every write succeeds; 0: the store is down
        self.hang = False

    async def set(self, *args: Any, **kwargs: Any) -> Any:
        if self.hang:
            await asyncio.Event().wait()
        if self.writes_left is not None:
            if self.writes_left == 0:
                raise ConnectionError("store down")
            self.writes_left -= 1
        return await super().set(*args, **kwargs)


async def tombstones(backend: FlakyMemory, keys: list[str]) -> list[bool]:
    return [(await backend.get(key) or "").startswith('{"stale"') for key in keys]


async def test_invalidations_missed_while_down_are_all_written_once_back() -> None:
    backend = FlakyMemory()
    store = CacheStore(backend, remote=True, timeout=0.5)
    keys = ["code:a", "code:b", "code:c"]
    for key in keys:
        await backend.set(key, "cached code")
    backend.writes_left = 0
    for key in keys:
        await store.invalidate(key)  # the store is down: kept for later
    backend.writes_left = 1  # back for one write, then down again
    assert await store.ping() is False
    assert await tombstones(backend, keys) == [True, False, False]
    backend.writes_left = None
    assert await store.ping() is True
    assert await tombstones(backend, keys) == [True, True, True]


async def test_a_replay_cut_short_by_cancellation_keeps_what_it_did_not_write() -> None:
    backend = FlakyMemory()
    store = CacheStore(backend, remote=True, timeout=None)
    await backend.set("code:a", "cached code")
    backend.writes_left = 0
    await store.invalidate("code:a")
    backend.writes_left, backend.hang = None, True
    replay = asyncio.create_task(store.ping())
    await asyncio.sleep(0.05)
    replay.cancel()
    with pytest.raises(asyncio.CancelledError):
        await replay
    backend.hang = False
    assert await store.ping() is True
    assert await tombstones(backend, ["code:a"]) == [True]
