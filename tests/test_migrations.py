"""The migrations build exactly the schema the models declare, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.migrate import ALEMBIC_INI, MIGRATION_LOCK_KEY, alembic_config, upgrade_to_head
from app.models import SQLModel
from tests.servers import fresh_postgres_database, require_server

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.needs_server)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each backend, its own for each test."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "referrals.db")
        return
    async with fresh_postgres_database(require_server("PostgreSQL", "TEST_DATABASE_URL")) as url:
        yield url


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def inspect(database_url: str, look: Callable[[Connection], Any]) -> Any:
    """Run `look` on a synchronous connection to the database."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def schema_differences(connection: Connection) -> list[Any]:
    """What autogenerate would change to reach the models, plus partial index predicates."""
    differences: list[Any] = compare_metadata(
        MigrationContext.configure(connection), SQLModel.metadata
    )
    return differences + partial_index_differences(connection)


def partial_index_differences(connection: Connection) -> list[str]:
    """Alembic compares an index's columns and uniqueness but not its WHERE clause."""
    option = f"{connection.dialect.name}_where"
    inspector = sa.inspect(connection)
    differences = []
    for table in SQLModel.metadata.sorted_tables:
        reflected_where = {
            index["name"]: index.get("dialect_options", {}).get(option)
            for index in inspector.get_indexes(table.name)
        }
        for index in table.indexes:
            expected = index.dialect_kwargs.get(option)
            found = reflected_where.get(index.name)
            if predicate(expected) != predicate(found):
                differences.append(f"{index.name}: WHERE {found} instead of {expected}")
    return differences


def predicate(clause: object) -> str | None:
    """A WHERE clause in comparable form: PostgreSQL reflects `(a IS NULL)` for `a IS NULL`."""
    if clause is None:
        return None
    text = " ".join(str(clause).split()).lower()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text


def table_names(connection: Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_upgrade_of_an_empty_database_matches_the_models(database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, database_url)

    assert await inspect(database_url, schema_differences) == []
    assert await inspect(database_url, current_revision) == HEAD


async def test_second_upgrade_runs_no_migration(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await asyncio.to_thread(upgrade_to_head, database_url)
    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    caplog.clear()

    await asyncio.to_thread(upgrade_to_head, database_url)

    assert not [r for r in caplog.records if r.getMessage().startswith("Running upgrade")]
    assert await inspect(database_url, current_revision) == HEAD
    assert await inspect(database_url, schema_differences) == []


async def test_downgrade_to_base_leaves_no_tables(database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, database_url)

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "base")

    assert await inspect(database_url, table_names) == {"alembic_version"}
    assert await inspect(database_url, current_revision) is None


async def test_upgrade_finds_its_migrations_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = sqlite_url(tmp_path / "elsewhere.db")

    await asyncio.to_thread(upgrade_to_head, url)

    assert await inspect(url, current_revision) == HEAD


async def run_alembic(*args: str, cwd: Path, database_url: str) -> None:
    """The alembic command line, in its own process, as an operator would run it."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "alembic", "-c", str(ALEMBIC_INI), *args),
        cwd=cwd,
        env=os.environ | {"DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()


async def test_alembic_command_line_migrates_the_configured_database(tmp_path: Path) -> None:
    configured = tmp_path / "configured.db"

    await run_alembic("upgrade", "head", cwd=tmp_path, database_url=sqlite_url(configured))

    assert await inspect(sqlite_url(configured), current_revision) == HEAD


async def test_alembic_command_line_x_url_overrides_the_configured_database(
    tmp_path: Path,
) -> None:
    configured, chosen = tmp_path / "configured.db", tmp_path / "chosen.db"

    await run_alembic(
        "-x",
        f"url={sqlite_url(chosen)}",
        "upgrade",
        "head",
        cwd=tmp_path,
        database_url=sqlite_url(configured),
    )

    assert await inspect(sqlite_url(chosen), current_revision) == HEAD
    assert not configured.exists()


@pytest.mark.needs_server
async def test_upgrade_on_postgresql_waits_while_another_holds_the_migration_lock(
    tmp_path: Path,
) -> None:
    async with fresh_postgres_database(require_server("PostgreSQL", "TEST_DATABASE_URL")) as url:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.begin() as other_replica:
                await other_replica.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                upgrade = asyncio.create_task(
                    run_alembic("upgrade", "head", cwd=tmp_path, database_url=url)
                )
                await wait_for_a_lock_waiter(other_replica)
                assert await inspect(url, current_revision) is None
        finally:
            await engine.dispose()

        await upgrade
        assert await inspect(url, current_revision) == HEAD


async def wait_for_a_lock_waiter(connection: AsyncConnection) -> None:
    """Return once some session queues for an advisory lock it was not granted (15 s at most)."""
    waiting = sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    for _ in range(300):
        if (await connection.execute(waiting)).scalar():
            return
        await asyncio.sleep(0.05)
    pytest.fail("no session waited for the migration lock")
