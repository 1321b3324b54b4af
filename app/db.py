"""The database: the engine, the two kinds of session, and which errors mean "unavailable"."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.shared_session import SharedSession

if TYPE_CHECKING:
    from app.settings import Settings

logger = logging.getLogger(__name__)


class Database:
    """The engine and its session factories, created once per process (see app.uow).

    Readers' sessions run on connections in autocommit on PostgreSQL: each statement sees what
    was committed before it started, which is all that a READ COMMITTED transaction promises a
    reader too, without the BEGIN and ROLLBACK round trips. They refuse to write. Writers'
    sessions are READ COMMITTED transactions. On SQLite the two are alike: its driver begins a
    transaction only before a write.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.readers = async_sessionmaker(engine, class_=SharedSession, expire_on_commit=False)
        writer_bind = (
            engine.execution_options(isolation_level="READ COMMITTED")
            if engine.dialect.name == "postgresql"
            else engine
        )
        # Loaded objects stay usable after the commit.
        self.writers = async_sessionmaker(writer_bind, class_=AsyncSession, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(create_engine(settings))

    async def dispose(self) -> None:
        await self.engine.dispose()


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the engine for DATABASE_URL with bounded connect and statement times.

    PostgreSQL connections rest in autocommit: readers use them as they are, and the ping at
    checkout is one round trip rather than BEGIN, ping, ROLLBACK; writers' sessions ask for a
    transaction. SQLite needs neither: a file has no server to lose.
    """
    # hide_parameters: error messages (and so logs) never carry bound emails or hashes.
    options: dict[str, Any] = {"hide_parameters": True}
    if settings.is_sqlite:
        options["connect_args"] = {"timeout": settings.db_timeout}
    else:
        options |= {
            "isolation_level": "AUTOCOMMIT",
            # A server restart leaves dead connections in the pool: test each one at checkout.
            "pool_pre_ping": True,
            "pool_size": settings.db_pool_size,
            "max_overflow": settings.db_pool_size,
            "pool_timeout": settings.db_timeout,
            "connect_args": {
                "timeout": settings.db_timeout,
                "command_timeout": settings.db_timeout * 2,
                "server_settings": {"application_name": "referrals"},
            },
        }
    engine = create_async_engine(settings.database_url, **options)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, WAL for concurrent readers, and a busy wait instead of instant locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


async def close_session(session: AsyncSession) -> None:
    """Close a session whatever became of the database: when it went away under an open
    transaction the rollback fails, the pool has already dropped the connection, and the work
    that succeeded stands."""
    try:
        await session.close()
    except Exception as error:
        if not is_unavailable(error):
            raise
        logger.warning("session closed without the database: %s", type(error).__name__)


def is_unavailable(error: BaseException) -> bool:
    """True when an error means the database cannot be reached, not that a query is wrong."""
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeout, ConnectionError)):
        return True
    if isinstance(error, DBAPIError) and (
        error.connection_invalidated or _is_unavailable_state(getattr(error.orig, "sqlstate", None))
    ):
        return True
    return isinstance(error, (OSError, TimeoutError))


def _is_unavailable_state(sqlstate: object) -> bool:
    """SQLSTATEs of a server that is down, starting, shutting down or full, not of a bad query.

    asyncpg reports "the database system is starting up" (57P03) as a plain DBAPIError.
    """
    if not isinstance(sqlstate, str):
        return False
    return sqlstate.startswith(("08", "57P")) or sqlstate == "53300"
