"""Two real instances on one PostgreSQL database: each attempt is made by one of them."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from tests.conftest import migrate
from tests.instances import serving
from tests.servers import fresh_postgres_database, require_server
from tests.webhooks.instance_client import deliveries, register, superuser_endpoint
from tests.webhooks.receiver import Receiver, Reply

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.needs_server, pytest.mark.timeout(180)]

EVENTS = 40


async def test_each_delivery_is_attempted_by_one_instance(tmp_path: Path) -> None:
    receiver = Receiver()
    # A little slow, so that both instances have claims in flight at once.
    receiver.script("/hook", Reply(delay=0.05))
    receiver.start()
    server = require_server("PostgreSQL", "TEST_DATABASE_URL")
    try:
        async with fresh_postgres_database(server) as url:
            await migrate(url)
            (tmp_path / "a").mkdir()
            (tmp_path / "b").mkdir()
            settings = {"DATABASE_URL": url, "WEBHOOK_RETRY_SCHEDULE": "0.2,0.2,0.2"}
            async with (
                serving(tmp_path / "a", **settings) as first,
                serving(tmp_path / "b", **settings) as second,
            ):
                await superuser_endpoint(first, url, receiver.url(), ["user.registered"])
                await asyncio.gather(*(register(first if n % 2 else second) for n in range(EVENTS)))
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    rows = await deliveries(url)
                    if len(rows) == EVENTS and all(row[1] == "SUCCEEDED" for row in rows):
                        break
                    await asyncio.sleep(0.2)
                rows = await deliveries(url)
    finally:
        receiver.stop()
    calls = receiver.calls("/hook")
    assert len(rows) == EVENTS
    assert {(status, attempts) for _, status, attempts in rows} == {("SUCCEEDED", 1)}
    assert sorted(call.headers["webhook-id"] for call in calls) == sorted(row[0] for row in rows)
