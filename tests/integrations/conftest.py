"""Fixtures for the integration tests: stand-ins, an HTTP client, a cache and a file database."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlmodel import SQLModel

from app.cache import CacheStore
from app.db import Database
from tests.integrations.support import isolated_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def cache() -> CacheStore:
    return CacheStore.from_url(None, timeout=0.25)


@pytest.fixture
def new_email() -> Callable[[], str]:
    """Unique addresses, so that scripts and cached verdicts never leak between tests."""
    return lambda: f"user-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh SQLite file database with every table."""
    settings = isolated_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db")
    database = Database.from_settings(settings)
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield database
    await database.dispose()
