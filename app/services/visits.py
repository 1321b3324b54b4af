"""Visits of share links: counted once per code, client network and hour, written in batches.

The dedupe state lives in the cache store, so that every instance shares it: the first visit
of a code from a network adds a key (SET NX) holding the visit's time, for an hour. Repeats
that this process has counted itself within the hour are known without asking the store. A
counted visit is buffered in process, never written on the redirect's path, and flushed at
most `flush_interval` seconds later (into the code's total and its day's row), and once more
on shutdown, so that a graceful stop loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections import Counter
from datetime import date, timedelta
from typing import TYPE_CHECKING

from app.domain.clock import utcnow
from app.repositories import codes as code_repo
from app.uow import unit_of_work

if TYPE_CHECKING:
    from app.cache import CacheStore
    from app.db import Database
    from app.domain.clock import Clock
    from app.domain.codes import Code

logger = logging.getLogger(__name__)

VISIT_WINDOW = timedelta(hours=1)
FLUSH_INTERVAL = 1.0
# Repeats this process remembers without asking the store (oldest forgotten first).
MAX_REMEMBERED = 100_000
IPV6_NETWORK_BYTES = 8  # a /64: one subscriber's network, whatever address it picks in it


def client_network(host: str | None) -> str:
    """Who a visit comes from: an IPv4 address, or the /64 of an IPv6 one."""
    if not host:
        return "unknown"
    if ":" not in host:
        return host
    try:
        address = ipaddress.IPv6Address(host.partition("%")[0])
    except ValueError:
        return host
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return address.packed[:IPV6_NETWORK_BYTES].hex() + "::/64"


def visit_key(namespace: str, code_id: int, network: str) -> str:
    return f"visit:{namespace}:{code_id}:{network}"


class Visits:
    """Counts share-link visits; start() before serving, stop() to write what is buffered."""

    def __init__(
        self,
        *,
        store: CacheStore,
        database: Database,
        namespace: str,
        clock: Clock = utcnow,
        flush_interval: float = FLUSH_INTERVAL,
    ) -> None:
        self._store = store
        self._database = database
        self._namespace = namespace  # the database's: code ids are its own
        self._clock = clock
        self._flush_interval = flush_interval
        self._window = VISIT_WINDOW.total_seconds()
        self._ttl = int(self._window)
        # (code id, network) -> until when (clock seconds) this process knows it was counted.
        self._counted_until: dict[tuple[int, str], float] = {}
        self._pending: Counter[tuple[int, date]] = Counter()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def visit(self, *, code: Code, client: str | None) -> bool:
        """Count a visit of the code's share link unless this network visited it within the
        hour; True when it counted. Never raises for the store: down, it dedupes in process."""
        network = client_network(client)
        now = self._clock()
        moment = now.timestamp()
        remembered = (code.id, network)
        if self._counted_until.get(remembered, 0.0) > moment:
            return False
        key = visit_key(self._namespace, code.id, network)
        stamp = repr(moment)
        if not await self._store.add(key, stamp, ttl=self._ttl):
            seen = await self._store.get(key)
            if seen is not None:
                last = _seconds(seen)
                if moment - last < self._window:
                    self._remember(remembered, until=last + self._window)
                    return False
                # Counted more than an hour ago by the clock (it moved, or clocks differ).
                if not await self._store.compare_and_set(key, stamp, expected=seen, ttl=self._ttl):
                    return False
        self._remember(remembered, until=moment + self._window)
        self._pending[(code.id, now.date())] += 1
        return True

    def _remember(self, remembered: tuple[int, str], *, until: float) -> None:
        self._counted_until.pop(remembered, None)
        self._counted_until[remembered] = until
        if len(self._counted_until) > MAX_REMEMBERED:
            del self._counted_until[next(iter(self._counted_until))]

    async def flush(self) -> None:
        """Write the buffered visits in one transaction; kept for the next flush if it fails."""
        if not self._pending:
            return
        batch, self._pending = self._pending, Counter()
        try:
            async with unit_of_work(self._database, writes=True) as work, work.write() as tx:
                await code_repo.add_visits(tx.session, counts=dict(batch))
        except BaseException:
            self._pending.update(batch)
            raise

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="visit flushing")

    async def stop(self) -> None:
        """Stop flushing in the background and write what is still buffered."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        try:
            await self.flush()
        except Exception as error:
            logger.error(
                "%d share-link visits could not be written at shutdown (%s)",
                sum(self._pending.values()),
                type(error).__name__,
            )

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._flush_interval)
            if self._stopping.is_set():
                return  # stop() writes the rest
            try:
                await self.flush()
            except Exception as error:
                logger.warning(
                    "writing share-link visits failed (%s); retrying in %s s",
                    type(error).__name__,
                    self._flush_interval,
                )


def _seconds(stamp: str) -> float:
    """The visit time a dedupe key holds (anything unreadable counts as long ago)."""
    try:
        return float(stamp)
    except ValueError:
        return 0.0
