"""The database a bench run owns: a fresh SQLite file or PostgreSQL database, and bulk seeding.

Bulk rows go straight into the tables of app/models.py (account, referral_code, referral),
keeping account.referral_count equal to the number of referral rows, as the service does.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

BULK_BATCH = 50_000
CODE_TTL = timedelta(days=300)


@dataclass(frozen=True, slots=True)
class Database:
    url: str
    kind: str  # "sqlite" or "postgresql"
    label: str  # what the report names it by, without credentials


@contextmanager
def fresh_database(requested_url: str | None, workdir: Path) -> Iterator[Database]:
    """A new, empty database for this run: SQLite in `workdir`, or a PostgreSQL database created
    on the server of `requested_url` and dropped afterwards."""
    if requested_url is None or requested_url.startswith("sqlite"):
        path = workdir / "bench.db"
        yield Database(url=f"sqlite+aiosqlite:///{path}", kind="sqlite", label="SQLite (file)")
        return
    server = make_url(requested_url)
    if server.drivername in ("postgresql", "postgres"):
        server = server.set(drivername="postgresql+asyncpg")
    if not server.drivername.startswith("postgresql"):
        raise SystemExit(f"DATABASE_URL: only SQLite and PostgreSQL are supported, not {server}")
    name = f"bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(server.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"'))
    try:
        yield Database(
            url=server.set(database=name).render_as_string(hide_password=False),
            kind="postgresql",
            label=f"PostgreSQL {server.host}:{server.port or 5432}/{name}",
        )
    finally:
        asyncio.run(
            _admin(
                server.render_as_string(hide_password=False),
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            )
        )


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


@dataclass(frozen=True, slots=True)
class Referrer:
    id: int
    email: str
    code: str
    referrals: int


def seed_referrer(
    database: Database, *, tag: str, referrals: int, hashed_password: str
) -> Referrer:
    """A referrer with an active code and `referrals` referees, inserted in bulk."""
    email = f"{tag}@bench.example.com"
    code = ("B" + uuid.uuid4().hex.upper())[:12]
    if database.kind == "sqlite":
        return _seed_sqlite(database, email, code, tag, referrals, hashed_password)
    return asyncio.run(_seed_postgresql(database, email, code, tag, referrals, hashed_password))


def _sqlite_timestamp(value: datetime) -> str:
    """A timestamp exactly as the service's UTCDateTime column stores it on SQLite."""
    from app.models import User

    dialect = sqlite_dialect.dialect()
    column_type = User.__table__.c.created_at.type  # type: ignore[attr-defined]
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    stored = processor(value) if processor else value
    return str(stored)


def _seed_sqlite(
    database: Database, email: str, code: str, tag: str, referrals: int, hashed_password: str
) -> Referrer:
    path = make_url(database.url).database
    assert path
    now = datetime.now(UTC)
    created = _sqlite_timestamp(now)
    expires = _sqlite_timestamp(now + CODE_TTL)
    account_insert = (
        "INSERT INTO account (email, hashed_password, is_active, is_superuser, is_verified,"
        " referral_count, created_at) VALUES (?, ?, 1, 0, 0, ?, ?)"
    )
    connection = sqlite3.connect(path, timeout=30)
    try:
        with connection:
            cursor = connection.execute(
                account_insert, (email, hashed_password, referrals, created)
            )
            referrer_id = cursor.lastrowid
            assert referrer_id is not None
            cursor = connection.execute(
                "INSERT INTO referral_code (code, owner_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (code, referrer_id, created, expires),
            )
            code_id = cursor.lastrowid
            first_id = referrer_id + 1
            for start in range(0, referrals, BULK_BATCH):
                stop = min(start + BULK_BATCH, referrals)
                connection.executemany(
                    account_insert,
                    (
                        (f"{tag}-{index}@bench.example.com", hashed_password, 0, created)
                        for index in range(start, stop)
                    ),
                )
            last_id = connection.execute("SELECT max(id) FROM account").fetchone()[0]
            if last_id - first_id + 1 != referrals:
                raise RuntimeError("account ids are not contiguous; is a server writing?")
            connection.executemany(
                "INSERT INTO referral (referee_id, referrer_id, code_id, created_at)"
                " VALUES (?, ?, ?, ?)",
                (
                    (referee_id, referrer_id, code_id, created)
                    for referee_id in range(first_id, last_id + 1)
                ),
            )
        connection.execute("ANALYZE")
    finally:
        connection.close()
    return Referrer(id=referrer_id, email=email, code=code, referrals=referrals)


async def _seed_postgresql(
    database: Database, email: str, code: str, tag: str, referrals: int, hashed_password: str
) -> Referrer:
    engine = create_async_engine(database.url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as connection:
            referrer_id = (
                await connection.exec_driver_sql(
                    "INSERT INTO account (email, hashed_password, is_active, is_superuser,"
                    " is_verified, referral_count, created_at)"
                    " VALUES ($1, $2, true, false, false, $3, $4) RETURNING id",
                    (email, hashed_password, referrals, now),
                )
            ).scalar_one()
            code_id = (
                await connection.exec_driver_sql(
                    "INSERT INTO referral_code (code, owner_id, created_at, expires_at)"
                    " VALUES ($1, $2, $3, $4) RETURNING id",
                    (code, referrer_id, now, now + CODE_TTL),
                )
            ).scalar_one()
            await connection.exec_driver_sql(
                "WITH referee AS ("
                " INSERT INTO account (email, hashed_password, is_active, is_superuser,"
                " is_verified, referral_count, created_at)"
                " SELECT $1 || '-' || n || '@bench.example.com', $2, true, false, false, 0, $3"
                " FROM generate_series(1, $4) AS n ORDER BY n RETURNING id)"
                " INSERT INTO referral (referee_id, referrer_id, code_id, created_at)"
                " SELECT id, $5, $6, $3 FROM referee",
                (tag, hashed_password, now, referrals, referrer_id, code_id),
            )
        # Autovacuum would get there too; do it now so that plans and visibility are settled.
        async with engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("VACUUM (ANALYZE) account, referral, referral_code")
    finally:
        await engine.dispose()
    return Referrer(id=int(referrer_id), email=email, code=code, referrals=referrals)
