"""Webhooks through faults: a receiver that is down for a while, instances killed mid-delivery
or right after a commit, Redis down, PostgreSQL restarted. Every event committed is delivered,
with the same `webhook-id` on each attempt."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.instances import serving
from tests.webhooks.conftest import create_endpoint, superuser_token, until_settled
from tests.webhooks.instance_client import deliveries, register, superuser_endpoint
from tests.webhooks.receiver import Receiver, Reply

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.faults.private_servers import PrivatePostgres, PrivateRedis

BACKLOG = 20


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


async def until_delivered(database_url: str, count: int, within: float = 30.0) -> list[Any]:
    deadline = time.monotonic() + within
    while True:
        rows = await deliveries(database_url)
        if len(rows) >= count and all(row[1] == "SUCCEEDED" for row in rows):
            return rows
        assert time.monotonic() < deadline, f"not delivered: {rows}"
        await asyncio.sleep(0.2)


async def test_the_backlog_is_delivered_once_the_receiver_answers_again(
    sqlite_url: str, app_on: Any, receiver: Receiver
) -> None:
    async with app_on(sqlite_url, None, webhook_retry_schedule=(0.5, 1.0, 2.0, 4.0, 8.0)) as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/hook"), ["user.registered"])
        receiver.stop()
        users = await asyncio.gather(*(api.register() for _ in range(BACKLOG)))
        await asyncio.sleep(1.0)  # refused, and retried, while the receiver is down
        receiver.start()
        settled = await until_settled(api, token, created["endpoint"]["id"], BACKLOG, within=30)
    assert [node["status"] for node in settled] == ["SUCCEEDED"] * BACKLOG
    assert all(node["attempts"] >= 2 for node in settled)
    delivered = {call.headers["webhook-id"] for call in receiver.calls("/hook")}
    assert delivered == {node["eventId"] for node in settled}
    assert len(users) == BACKLOG


async def test_an_instance_killed_mid_delivery_leaves_the_attempt_to_another(
    tmp_path: Path, receiver: Receiver
) -> None:
    # The first attempt hangs until the instance making it is killed; the next one answers.
    receiver.script("/hook", Reply(delay=20.0), Reply(200))
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    settings = {"DATABASE_URL": url, "WEBHOOK_TIMEOUT": "1", "WEBHOOK_RETRY_SCHEDULE": "0.2"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with serving(tmp_path / "a", **settings) as doomed:
        await superuser_endpoint(doomed, url, receiver.url("/hook"), ["user.registered"])
        await register(doomed)
        await receiver.wait_for(1, "/hook")
        await doomed.stop(signal.SIGKILL)
    async with serving(tmp_path / "b", **settings):
        # B takes the delivery over once A's lease (3 x WEBHOOK_TIMEOUT) has run out.
        ((event_id, status, attempts),) = await until_delivered(url, 1, within=20)
    first, second = receiver.calls("/hook")
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event_id
    assert (status, attempts) == ("SUCCEEDED", 2)


async def test_an_event_committed_just_before_the_process_died_is_delivered_after_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    settings = {"DATABASE_URL": url, "WEBHOOK_RETRY_SCHEDULE": "0.2,0.2"}
    (tmp_path / "a").mkdir()
    async with serving(tmp_path / "a", **settings) as doomed:
        await superuser_endpoint(doomed, url, receiver.url("/hook"), ["user.registered"])
        receiver.stop()  # whatever A manages to try before it dies reaches no one
        user = await register(doomed)
        await doomed.stop(signal.SIGKILL)  # the moment the registration is answered
    receiver.start()
    (tmp_path / "b").mkdir()
    async with serving(tmp_path / "b", **settings):
        ((event_id, status, _),) = await until_delivered(url, 1)
    (call,) = receiver.calls("/hook")
    assert call.headers["webhook-id"] == event_id
    assert user["id"].encode() in call.body
    assert status == "SUCCEEDED"


async def test_webhooks_are_delivered_while_redis_is_down(
    postgres_url: str, redis_server: PrivateRedis, app_on: Any, receiver: Receiver
) -> None:
    async with app_on(postgres_url, redis_server.url) as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/hook"), ["code.created"])
        _, owner_token = await api.signed_up()
        await asyncio.to_thread(redis_server.stop)
        code = (await api.create_code(owner_token))["code"]
        (delivery,) = await until_settled(api, token, created["endpoint"]["id"], 1)
        await asyncio.to_thread(redis_server.start)
    (call,) = receiver.calls("/hook")
    assert code.encode() in call.body
    assert delivery["status"] == "SUCCEEDED"


async def test_the_worker_recovers_when_postgresql_restarts(
    postgres_cluster: PrivatePostgres, postgres_url: str, app_on: Any, receiver: Receiver
) -> None:
    async with app_on(postgres_url, None, webhook_retry_schedule=(0.2, 0.5, 1.0)) as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/hook"), ["user.registered"])
        before = await api.register()
        await receiver.wait_for(1, "/hook")
        await asyncio.to_thread(postgres_cluster.stop)
        await asyncio.sleep(2.0)  # the worker's claims fail meanwhile
        await asyncio.to_thread(postgres_cluster.start)
        after = await api.register()
        settled = await until_settled(api, token, created["endpoint"]["id"], 2, within=20)
    bodies = [call.body for call in receiver.calls("/hook")]
    assert [node["status"] for node in settled] == ["SUCCEEDED", "SUCCEEDED"]
    assert any(after["id"].encode() in body for body in bodies)
    assert any(before["id"].encode() in body for body in bodies)
