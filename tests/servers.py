"""Tests that need a real server (PostgreSQL, Redis) find it here, or skip, or fail in CI.

A developer without the servers gets skips; CI sets REQUIRE_SERVERS=1 so that a missing server
fails the run instead of silently shrinking it.
"""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, NoReturn

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

TRUTHY = {"1", "true", "yes", "on"}


def require_server(name: str, env_var: str) -> str:
    """The URL in `env_var`; when unset, skip the test, or fail it if REQUIRE_SERVERS=1."""
    url = os.environ.get(env_var, "").strip()
    if not url:
        skip_or_fail(f"{name} is not configured: set {env_var}")
    return url


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test on a newcomer's laptop; fail it where REQUIRE_SERVERS=1 (CI)."""
    if os.environ.get("REQUIRE_SERVERS", "").strip().lower() in TRUTHY:
        pytest.fail(f"{reason} (REQUIRE_SERVERS=1 forbids skipping)", pytrace=False)
    pytest.skip(reason)


@asynccontextmanager
async def fresh_postgres_database(server_url: str) -> AsyncIterator[str]:
    """A new, uniquely named, empty database on `server_url`'s server; dropped on exit.

    `server_url` names a database to connect to for CREATE/DROP DATABASE (e.g. `postgres`).
    """
    server = make_url(server_url)
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as connection:
            await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
