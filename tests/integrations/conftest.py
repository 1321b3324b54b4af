"""Fixtures for the integration tests: stand-ins, an HTTP client, a cache and a file database."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlmodel import SQLModel

from app.cache import CacheStore
from app.db import create_engine, create_session_factory
from tests.integrations.support import isolated_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from sqlalchemy.ext.asyncio import async_sessionmaker
    from sqlmodel.ext.asyncio.session import AsyncSession


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
async def session_factory(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh SQLite file database with every table."""
    settings = isolated_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db")
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()
