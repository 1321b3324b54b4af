"""The leaderboard: a period's ranking computed once for every instance, served from memory.

A ranking may be served until it is MAX_LAG_SECONDS old. It lives in the cache store (Redis
when configured, so instances share it) and in each instance's memory (a request then reads
nothing at all). From REFRESH_AGE on, the first instance to win an add-if-absent lock on the
version being replaced recomputes it in the background, while every instance keeps serving
the old one: under steady traffic no request waits for a computation. Past MAX_LAG_SECONDS
nobody serves it: the lock's winner computes it for the request, and an instance that lost
the lock waits briefly for the winner's result (or, failing that, computes its own). With
the store down, each instance computes for itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from app.domain.clock import utcnow
from app.domain.leaderboard import DEPTH, MAX_LAG_SECONDS, Period, Ranking, decode_cursor
from app.domain.pages import MAX_PAGE_SIZE, check_page_size
from app.domain.stats import Window
from app.repositories import stats as stats_repo
from app.uow import unit_of_work

if TYPE_CHECKING:
    from app.cache import CacheStore
    from app.db import Database
    from app.domain.clock import Clock
    from app.domain.leaderboard import LeaderboardPage
    from app.uow import UnitOfWork

REFRESH_AGE = MAX_LAG_SECONDS - 10  # a refresh starts while the old ranking may still be served
LOCK_TTL = 10  # seconds an instance has to recompute before another may try
STORE_TTL = int(MAX_LAG_SECONDS * 2)  # the store forgets rankings nobody may serve any more
PEER_WAIT_SECONDS = 2.0
PEER_POLL_SECONDS = 0.05

logger = logging.getLogger(__name__)


def database_namespace(database_url: str) -> str:
    """A short name for the database a ranking is of, so that services on different databases
    sharing one Redis never serve each other's (the password is left out of it)."""
    rendered = make_url(database_url).render_as_string(hide_password=True)
    return hashlib.sha256(rendered.encode()).hexdigest()[:16]


class Leaderboard:
    """Pages of a period's top referrers, lagging at most MAX_LAG_SECONDS behind."""

    def __init__(
        self,
        *,
        cache: CacheStore,
        database: Database,
        namespace: str,
        clock: Clock = utcnow,
        depth: int = DEPTH,
    ) -> None:
        self._cache = cache
        self._database = database
        self._namespace = namespace
        self._clock = clock
        self._depth = depth
        self._local: dict[Period, Ranking] = {}
        self._refreshing = {period: asyncio.Lock() for period in Period}
        self._background: set[asyncio.Task[None]] = set()

    async def page(
        self, uow: UnitOfWork, *, period: Period, size: int, after: str | None
    ) -> LeaderboardPage:
        """Up to `size` (1..100) standings after the cursor `after`; BAD_USER_INPUT for a size
        out of range or a cursor we did not issue."""
        check_page_size(size, maximum=MAX_PAGE_SIZE)
        position = decode_cursor(after)
        ranking = await self.ranking(uow, period=period)
        return ranking.page(size=size, after=position)

    async def ranking(self, uow: UnitOfWork, *, period: Period) -> Ranking:
        """The period's ranking, at most MAX_LAG_SECONDS old."""
        local = self._local.get(period)
        if local is not None and local.age(self._clock()) < REFRESH_AGE:
            return local
        lock = self._refreshing[period]
        if lock.locked() and local is not None and local.age(self._clock()) < MAX_LAG_SECONDS:
            return local  # this instance is refreshing it already
        async with lock:
            return await self._fresh_ranking(uow, period)

    async def _fresh_ranking(self, uow: UnitOfWork, period: Period) -> Ranking:
        best = _newest(self._local.get(period), await self._shared(period))
        if best is not None and best.age(self._clock()) < REFRESH_AGE:
            return self._keep(period, best)
        servable = best is not None and best.age(self._clock()) < MAX_LAG_SECONDS
        if await self._claim_refresh(period, replacing=best):
            if best is not None and servable:
                self._refresh_in_background(period)
                return self._keep(period, best)
            return await self._recompute(uow, period)
        if best is not None and servable:
            return self._keep(period, best)  # another instance is refreshing it
        newer = await self._wait_for_peer(period, replacing=best)
        return self._keep(period, newer) if newer else await self._recompute(uow, period)

    async def _claim_refresh(self, period: Period, *, replacing: Ranking | None) -> bool:
        """Whether this instance replaces the ranking: it won the lock named after the version
        it replaces, or the store is down and every instance computes for itself."""
        version = f"{replacing.computed_at.timestamp()}" if replacing is not None else "none"
        key = f"{self._key(period)}:lock:{version}"
        return await self._cache.add(key, "1", ttl=LOCK_TTL) or not self._cache.available

    def _refresh_in_background(self, period: Period) -> None:
        task = asyncio.create_task(self._refresh(period))
        self._background.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._background.discard)

    async def _refresh(self, period: Period) -> None:
        try:
            async with unit_of_work(self._database, writes=False) as uow:
                await self._recompute(uow, period)
        except Exception as exc:  # the old ranking is served until the next attempt
            logger.warning("leaderboard refresh failed (%s)", type(exc).__name__)

    async def _recompute(self, uow: UnitOfWork, period: Period) -> Ranking:
        now = self._clock()
        async with uow.read() as session:
            if period.days is None:
                entries = await stats_repo.top_all_time(session, limit=self._depth)
            else:
                window = Window.last(period.days, now=now)
                entries = await stats_repo.top_in_window(session, window=window, limit=self._depth)
        ranking = Ranking(computed_at=now, entries=tuple(entries))
        await self._cache.set(self._key(period), ranking.dumps(), ttl=STORE_TTL)
        return self._keep(period, ranking)

    async def _wait_for_peer(self, period: Period, *, replacing: Ranking | None) -> Ranking | None:
        """The ranking another instance is computing, if it comes within PEER_WAIT_SECONDS."""
        deadline = time.monotonic() + PEER_WAIT_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(PEER_POLL_SECONDS)
            shared = await self._shared(period)
            newer = shared is not None and (
                replacing is None or shared.computed_at > replacing.computed_at
            )
            if newer and shared is not None and shared.age(self._clock()) < MAX_LAG_SECONDS:
                return shared
        return None

    async def _shared(self, period: Period) -> Ranking | None:
        text = await self._cache.get(self._key(period))
        return Ranking.loads(text) if text is not None else None

    def _keep(self, period: Period, ranking: Ranking) -> Ranking:
        self._local[period] = ranking
        return ranking

    def _key(self, period: Period) -> str:
        return f"leaderboard:{self._namespace}:{period}"


def _newest(*rankings: Ranking | None) -> Ranking | None:
    found = [ranking for ranking in rankings if ranking is not None]
    return max(found, key=lambda ranking: ranking.computed_at) if found else None
