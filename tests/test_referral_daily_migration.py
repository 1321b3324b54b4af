"""The referral_daily migration counts the referrals made before it, each on its UTC day."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.migrate import alembic_config
from app.models import Referral, User, UTCDateTime
from tests.servers import fresh_postgres_database, require_server

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

BEFORE = "events"
# referral_code as it was at BEFORE (the model has columns added by later migrations).
CODE_AT_BEFORE = sa.table(
    "referral_code",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("owner_id", sa.Integer),
    sa.column("created_at", UTCDateTime),
    sa.column("expires_at", UTCDateTime),
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.needs_server)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'referrals.db'}"
        return
    async with fresh_postgres_database(require_server("PostgreSQL", "TEST_DATABASE_URL")) as url:
        yield url


async def test_existing_referrals_are_counted_on_their_utc_days(database_url: str) -> None:
    config = alembic_config(database_url)
    await asyncio.to_thread(command.upgrade, config, BEFORE)
    joined = [
        datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC),
        # 19:30 on the 20th in New York is 00:30 on the 21st in UTC.
        datetime(2026, 11, 20, 19, 30, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 11, 21, 23, 0, tzinfo=UTC),
    ]
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(User.__table__),  # type: ignore[arg-type]
                [
                    {
                        "id": user_id,
                        "email": f"u{user_id}@example.com",
                        "hashed_password": "x",
                        "is_active": True,
                        "is_superuser": False,
                        "is_verified": False,
                        "referral_count": 3 if user_id == 1 else 0,
                        "created_at": joined[0],
                    }
                    for user_id in range(1, 5)
                ],
            )
            await connection.execute(
                sa.insert(CODE_AT_BEFORE),
                [
                    {
                        "id": 1,
                        "code": "ABCD",
                        "owner_id": 1,
                        "created_at": joined[0],
                        "expires_at": joined[0] + timedelta(days=30),
                    }
                ],
            )
            await connection.execute(
                sa.insert(Referral.__table__),  # type: ignore[arg-type]
                [
                    {"referee_id": referee, "referrer_id": 1, "code_id": 1, "created_at": moment}
                    for referee, moment in zip((2, 3, 4), joined, strict=True)
                ],
            )
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.text("SELECT user_id, day, referrals FROM referral_daily ORDER BY day")
                )
            ).all()
        await asyncio.to_thread(command.downgrade, config, BEFORE)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
    finally:
        await engine.dispose()

    assert [(user, date.fromisoformat(str(day)), count) for user, day, count in rows] == [
        (1, date(2026, 11, 20), 1),
        (1, date(2026, 11, 21), 2),
    ]
    assert "referral_daily" not in tables
