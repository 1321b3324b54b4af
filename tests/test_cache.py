"""The code cache: read-through, exact invalidation, and no stale fill after a race."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from app.cache import CachedCode, CacheStore, CodeCache

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


def a_code(value: str = "ABCD1234", *, days: float = 1) -> CachedCode:
    now = datetime.now(UTC)
    return CachedCode(
        id=1, code=value, owner_id=7, created_at=now, expires_at=now + timedelta(days=days)
    )


@pytest.fixture
async def store(backend: dict[str, Any]) -> AsyncIterator[CacheStore]:
    cache = CacheStore.from_url(backend["redis_url"], timeout=0.5)
    yield cache
    await cache.close()


class Loader:
    """Counts database loads and can hold one open until told to finish."""

    def __init__(self, value: CachedCode | None) -> None:
        self.value = value
        self.calls = 0
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> CachedCode | None:
        self.calls += 1
        self.started.set()
        value = self.value
        await self.release.wait()
        return value


async def test_a_hit_does_not_reach_the_database(store: CacheStore) -> None:
    cache = CodeCache(store, ttl=60)
    email = f"{uuid.uuid4().hex}@example.com"
    load = Loader(a_code())
    assert await cache.by_email(email, load) == load.value
    assert await cache.by_email(email, load) == load.value
    assert load.calls == 1


async def test_a_fill_that_raced_an_invalidation_is_not_kept(store: CacheStore) -> None:
    cache = CodeCache(store, ttl=60)
    email = f"{uuid.uuid4().hex}@example.com"
    stale = Loader(a_code("OLDCODE1"))
    stale.release.clear()
    reader = asyncio.create_task(cache.by_email(email, stale))
    await stale.started.wait()
    await cache.invalidate(email=email)  # the code was deleted after the reader loaded it
    stale.release.set()
    assert (await reader).code == "OLDCODE1"  # that reader saw the world before the delete
    fresh = Loader(None)
    assert await cache.by_email(email, fresh) is None
    assert fresh.calls == 1


async def test_an_expired_entry_is_never_served(store: CacheStore) -> None:
    cache = CodeCache(store, ttl=60)
    email = f"{uuid.uuid4().hex}@example.com"
    load = Loader(a_code(days=1.2 / 86400))
    assert await cache.by_email(email, load) is not None
    await asyncio.sleep(1.3)
    assert await cache.by_email(email, load) is None


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
        assert await cache.by_email("someone@example.com", load) == load.value
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
            assert await cache.by_email("someone@example.com", load) == load.value
        assert load.calls == 5
        assert asyncio.get_running_loop().time() - started < 1.0
        await store.close()
