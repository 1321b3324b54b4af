"""A clock that tests move, and an app of its own (fresh database) running on it."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from app.main import create_app
from tests.conftest import make_settings, migrate, running
from tests.servers import fresh_postgres_database, require_server

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from starlette.applications import Starlette


class MovableClock:
    """Stands still until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def at(text: str) -> datetime:
    """A UTC moment from ISO 8601 text without an offset."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@asynccontextmanager
async def fresh_database(backend: dict[str, Any], folder: Path) -> AsyncIterator[str]:
    """A migrated database of the backend's kind that no other test writes to."""
    if backend["name"] == "embedded":
        url = f"sqlite+aiosqlite:///{folder / 'fresh.db'}"
        await migrate(url)
        yield url
        return
    async with fresh_postgres_database(require_server("PostgreSQL", "TEST_DATABASE_URL")) as url:
        await migrate(url)
        yield url


@asynccontextmanager
async def app_on_clock(
    backend: dict[str, Any], folder: Path, clock: MovableClock
) -> AsyncIterator[Starlette]:
    """The app on a fresh database of the backend (its own leaderboard, its own cache keys),
    running on `clock`."""
    async with fresh_database(backend, folder) as url:
        settings = make_settings(backend, database_url=url, data_dir=folder)
        async with running(create_app(settings, clock=clock)) as app:
            yield app
