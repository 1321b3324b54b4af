"""The database a bench run owns: a fresh SQLite file or PostgreSQL database, and bulk seeding.

Bulk rows go straight into the tables of app/models.py (account, referral_code, referral,
referral_daily), keeping account.referral_count equal to the number of referral rows and the
daily rollup equal to their count per UTC day, as the service does. Referrals are spread over
the last SPREAD_DAYS days at all hours (`joined_seconds_ago`), so that statistics read the
rollup of many days and count a rolling window's first day among thousands of referrals.
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
SPREAD_DAYS = 400
_SCATTER = 7919  # a prime: the n-th referral's second of the day


def joined_seconds_ago(index: int) -> int:
    """How long before the seeding the referral number `index` joined."""
    return (index % SPREAD_DAYS) * 86_400 + (index * _SCATTER) % 86_400


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
                    (
                        referee_id,
                        referrer_id,
                        code_id,
                        _sqlite_timestamp(
                            now - timedelta(seconds=joined_seconds_ago(referee_id - first_id))
                        ),
                    )
                    for referee_id in range(first_id, last_id + 1)
                ),
            )
            connection.execute(
                "INSERT INTO referral_daily (user_id, day, referrals)"
                " SELECT referrer_id, date(created_at), count(*) FROM referral"
                " WHERE referrer_id = ? GROUP BY referrer_id, date(created_at)",
                (referrer_id,),
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
                " SELECT id, $5, $6,"
                " $3 - make_interval(secs => (id - $7::bigint) % $8 * 86400"
                " + (id - $7::bigint) * $9 % 86400) FROM referee",
                (
                    *(tag, hashed_password, now, referrals, referrer_id, code_id),
                    *(referrer_id + 1, SPREAD_DAYS, _SCATTER),
                ),
            )
            await connection.exec_driver_sql(
                "INSERT INTO referral_daily (user_id, day, referrals)"
                " SELECT referrer_id, CAST(timezone('UTC', created_at) AS DATE), count(*)"
                " FROM referral WHERE referrer_id = $1 GROUP BY 1, 2",
                (referrer_id,),
            )
        # Autovacuum would get there too; do it now so that plans and visibility are settled.
        async with engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql(
                "VACUUM (ANALYZE) account, referral, referral_code, referral_daily"
            )
    finally:
        await engine.dispose()
    return Referrer(id=int(referrer_id), email=email, code=code, referrals=referrals)
