"""Fixtures of the fault tests: private servers to stop and start, and apps that use them."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

from app.main import create_app
from tests.api import Api
from tests.conftest import make_settings, migrate, running
from tests.faults.private_servers import PrivatePostgres, PrivateRedis
from tests.servers import fresh_postgres_database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator
    from contextlib import AbstractAsyncContextManager
    from pathlib import Path

# Short timeouts, so that what an outage costs each request stays visible and bounded.
FAULT_SETTINGS: dict[str, Any] = {"db_timeout": 1.0, "cache_timeout": 0.25}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in item.nodeid:
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.timeout(120))


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.resume()
    server.stop()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.create()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
async def postgres_url(postgres_cluster: PrivatePostgres) -> AsyncIterator[str]:
    """A migrated database of its own on the private cluster, which is running again after."""
    async with fresh_postgres_database(postgres_cluster.server_url) as url:
        await migrate(url)
        try:
            yield url
        finally:
            await asyncio.to_thread(postgres_cluster.ensure_running)


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'referrals.db'}"
    await migrate(url)
    return url


@pytest.fixture
def app_on(tmp_path: Path) -> Callable[..., AbstractAsyncContextManager[Api]]:
    """`async with app_on(database_url, redis_url, **settings) as api`: a running app's client."""

    @asynccontextmanager
    async def start(
        database_url: str, redis_url: str | None, **overrides: Any
    ) -> AsyncIterator[Api]:
        backend = {"database_url": database_url, "redis_url": redis_url, "data_dir": tmp_path}
        settings = make_settings(backend, **(FAULT_SETTINGS | overrides))
        async with running(create_app(settings)) as app, Api.connect(app) as api:
            yield api

    return start
