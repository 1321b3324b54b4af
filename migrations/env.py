"""Alembic environment: migrations run on the service's own async driver (asyncpg, aiosqlite)."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

from app import models
from app.migrate import MIGRATION_LOCK_KEY
from app.settings import load_settings

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from sqlalchemy.engine import Connection

config = context.config
target_metadata = models.SQLModel.metadata

# The alembic CLI configures logging from alembic.ini; app.migrate leaves the caller's alone.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """`-x url=...`, else `sqlalchemy.url` from the config, else DATABASE_URL via the settings."""
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or load_settings().database_url
    )


def render_item(type_: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write the models' wrapper types (UTCDateTime, SQLModel's AutoString) as the plain SQLAlchemy
    types they store, so that a revision stays a frozen snapshot that never imports app code."""
    if type_ == "type" and isinstance(obj, sa.TypeDecorator):
        impl = obj.impl_instance
        if getattr(sa, type(impl).__name__, None) is type(impl):  # a generic type, sa.<Name>
            return f"sa.{impl!r}"
    return False


def run_migrations_offline(url: str) -> None:
    """Print the SQL (`alembic upgrade head --sql`) instead of running it."""
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations in one transaction on an open connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
    )
    with context.begin_transaction():
        # Replicas starting at once take turns; the later ones find the schema current.
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


async def run_migrations_online(url: str) -> None:
    """Open a single connection (no pool to keep) and migrate through it."""
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline(database_url())
else:
    asyncio.run(run_migrations_online(database_url()))
