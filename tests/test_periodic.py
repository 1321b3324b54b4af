"""The periodic job: runs at start and then every interval, outlives a failed run, and lets a
run in progress finish when the service stops."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import Database
from app.periodic import PeriodicJob

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from app.uow import UnitOfWork


@pytest.fixture
async def database() -> AsyncIterator[Database]:
    engine = create_async_engine("sqlite+aiosqlite://")
    try:
        yield Database(engine)
    finally:
        await engine.dispose()


async def test_a_failed_run_is_logged_and_the_next_one_still_comes(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[bool] = []
    third_run = asyncio.Event()

    async def flaky(work: UnitOfWork) -> None:
        assert work.writes
        runs.append(True)
        if len(runs) == 1:
            raise ConnectionError("the database went away")
        if len(runs) == 3:
            third_run.set()

    job = PeriodicJob(flaky, database=database, interval=0.01, name="flaky job")
    await job.start()
    await asyncio.wait_for(third_run.wait(), timeout=5)
    await job.stop()

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["flaky job failed (ConnectionError); next run in 0.01 s"]


async def test_stopping_waits_for_the_run_in_progress_and_no_other_starts(
    database: Database,
) -> None:
    started, finished = asyncio.Event(), []

    async def slow(_work: UnitOfWork) -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.append(True)

    job = PeriodicJob(slow, database=database, interval=0.01, name="slow job")
    await job.start()
    await started.wait()
    await job.stop()
    assert finished == [True]
    await asyncio.sleep(0.05)
    assert finished == [True]
