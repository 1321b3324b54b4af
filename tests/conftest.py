"""Builds the app once per backend: embedded (SQLite + memory) and servers (PostgreSQL + Redis).

Every test that takes `api` runs on both. The servers backend needs TEST_DATABASE_URL and
TEST_REDIS_URL; without them it skips, unless REQUIRE_SERVERS=1 (as in CI), where it fails.
"""

from __future__ import annotations

import asyncio
import zlib
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

from app.main import create_app
from app.migrate import upgrade_to_head
from app.settings import Settings
from tests.api import Api
from tests.servers import fresh_postgres_database, require_server

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from starlette.applications import Starlette

pytest_plugins = ["tests.standins.plugin"]

BACKENDS = ["embedded", "servers"]


async def migrate(database_url: str) -> None:
    """Bring the database to the latest migration, as `python -m app migrate` does."""
    await asyncio.to_thread(upgrade_to_head, database_url)


@pytest.fixture(scope="session", params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, Any]]:
    """Database and cache URLs for one backend, with the schema migrated."""
    if request.param == "embedded":
        folder: Path = tmp_path_factory.mktemp("embedded")
        url = f"sqlite+aiosqlite:///{folder / 'referrals.db'}"
        await migrate(url)
        yield {"name": "embedded", "database_url": url, "redis_url": None, "data_dir": folder}
        return
    server_url = require_server("PostgreSQL", "TEST_DATABASE_URL")
    redis_url = require_server("Redis", "TEST_REDIS_URL")
    async with fresh_postgres_database(server_url) as url:
        await migrate(url)
        yield {
            "name": "servers",
            "database_url": url,
            "redis_url": redis_url,
            "data_dir": tmp_path_factory.mktemp("servers"),
        }


def make_settings(backend: dict[str, Any], **overrides: Any) -> Settings:
    """Settings for a test app on this backend; rate limits off unless a test turns them on."""
    values: dict[str, Any] = {
        "app_env": "test",
        "database_url": backend["database_url"],
        "redis_url": backend["redis_url"],
        "data_dir": backend["data_dir"],
        "secret_key": "test-secret-key-that-is-long-enough-for-hs256",
        "rate_limits": "off",
        # The shared test Redis carries other sessions' events too: channels of this database.
        "redis_channel_prefix": f"test-{zlib.crc32(backend['database_url'].encode()):08x}",
        # Never the real providers, whatever the shell exports: tests use loopback stand-ins.
        "hunter_api_key": None,
        "clearbit_api_key": None,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[Starlette]:
    """The app inside its lifespan, as a server would run it."""
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def app(backend: dict[str, Any]) -> AsyncIterator[Starlette]:
    async with running(create_app(make_settings(backend))) as started:
        yield started


@pytest.fixture(scope="session")
async def limited_app(backend: dict[str, Any]) -> AsyncIterator[Starlette]:
    """The app with its rate limits on; tests stay apart by their clients' addresses."""
    async with running(create_app(make_settings(backend, rate_limits="on"))) as started:
        yield started


@pytest.fixture
async def api(app: Starlette) -> AsyncIterator[Api]:
    async with Api.connect(app) as client:
        yield client
