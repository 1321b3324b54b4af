"""Background housekeeping: a job that runs every so often in each instance, on its own unit of
work, from start-up until shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from app.uow import unit_of_work

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from app.db import Database
    from app.uow import UnitOfWork

logger = logging.getLogger(__name__)


class PeriodicJob:
    """Runs `action` at start and then every `interval` seconds until stopped.

    A run that fails (the database is down) is logged, and the next one comes at its time;
    stop() lets a run in progress finish rather than cancel it mid-transaction.
    """

    def __init__(
        self,
        action: Callable[[UnitOfWork], Awaitable[object]],
        *,
        database: Database,
        interval: float,
        name: str,
    ) -> None:
        self._action = action
        self._database = database
        self._interval = interval
        self._name = name
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def run_once(self) -> None:
        async with unit_of_work(self._database, writes=True) as work:
            await self._action(work)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception as error:
                logger.warning(
                    "%s failed (%s); next run in %s s",
                    self._name,
                    type(error).__name__,
                    self._interval,
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)
