"""The leaderboard's ranking is computed by one instance for all: instances sharing a cache
store (Redis on the servers backend) do not each recompute it, and it is recomputed once it
is due, never served past its 60 seconds."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from app.cache import CacheStore
from app.db import Database
from app.domain.leaderboard import Period
from app.services import leaderboard as leaderboard_module
from app.services.leaderboard import Leaderboard
from app.uow import unit_of_work
from tests.clocks import MovableClock
from tests.conftest import make_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlmodel.ext.asyncio.session import AsyncSession


@pytest.fixture
async def database(backend: dict[str, Any]) -> AsyncIterator[Database]:
    database = Database.from_settings(make_settings(backend))
    yield database
    await database.dispose()


@pytest.fixture
async def stores(backend: dict[str, Any]) -> AsyncIterator[list[CacheStore]]:
    """Two instances' cache stores: two Redis clients, or the one in-process memory store."""
    if backend["redis_url"] is None:
        shared = CacheStore.from_url(None, timeout=1.0)
        yield [shared, shared]
        await shared.close()
        return
    found = [CacheStore.from_url(backend["redis_url"], timeout=1.0) for _ in range(2)]
    yield found
    for store in found:
        await store.close()


class CountingRanking:
    """Stands in for the all-time query: slow enough for requests to overlap, and counted."""

    def __init__(self) -> None:
        self.computed = 0

    async def __call__(self, session: AsyncSession, *, limit: int) -> list[tuple[int, int]]:
        self.computed += 1
        await asyncio.sleep(0.2)
        return [(7, self.computed)]


@pytest.fixture
def ranking(monkeypatch: pytest.MonkeyPatch) -> CountingRanking:
    counting = CountingRanking()
    monkeypatch.setattr(leaderboard_module.stats_repo, "top_all_time", counting)
    return counting


async def ask(board: Leaderboard, database: Database, times: int) -> list[int]:
    """The referrals the ranking's one entry shows, for `times` concurrent requests."""

    async def one() -> int:
        async with unit_of_work(database, writes=False) as uow:
            found = await board.ranking(uow, period=Period.ALL_TIME)
        return found.entries[0][1]

    return list(await asyncio.gather(*(one() for _ in range(times))))


async def until_served(board: Leaderboard, database: Database, referrals: int) -> bool:
    """Whether the board serves this entry within a few seconds (a refresh in the background)."""
    for _ in range(100):
        if await ask(board, database, 1) == [referrals]:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_two_instances_compute_the_ranking_once_between_them(
    database: Database, stores: list[CacheStore], ranking: CountingRanking
) -> None:
    clock = MovableClock(datetime(2026, 11, 20, 12, tzinfo=UTC))
    namespace = uuid.uuid4().hex
    first, second = (
        Leaderboard(cache=store, database=database, namespace=namespace, clock=clock)
        for store in stores
    )

    answers = await asyncio.gather(ask(first, database, 10), ask(second, database, 10))

    assert ranking.computed == 1
    assert set(answers[0] + answers[1]) == {1}


async def test_a_due_ranking_is_recomputed_once_and_an_expired_one_never_served(
    database: Database, stores: list[CacheStore], ranking: CountingRanking
) -> None:
    clock = MovableClock(datetime(2026, 11, 20, 12, tzinfo=UTC))
    namespace = uuid.uuid4().hex
    first, second = (
        Leaderboard(cache=store, database=database, namespace=namespace, clock=clock)
        for store in stores
    )
    assert await ask(first, database, 1) == [1]

    clock.advance(seconds=49)
    assert await ask(second, database, 5) == [1] * 5  # still fresh: read, not recomputed
    assert ranking.computed == 1

    clock.advance(seconds=2)  # due: one instance refreshes it meanwhile; both still serve it
    answers = await asyncio.gather(ask(first, database, 5), ask(second, database, 5))
    assert set(answers[0] + answers[1]) == {1}
    assert await until_served(second, database, 2)
    assert ranking.computed == 2

    clock.advance(seconds=timedelta(minutes=5).total_seconds())
    assert await ask(first, database, 3) == [3] * 3
    assert ranking.computed == 3
