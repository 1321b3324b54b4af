"""Registrations keep coming while PostgreSQL and Redis are stopped, frozen and restarted:
every one answered with success is in the database, and every failure is SERVICE_UNAVAILABLE."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.api import PASSWORD, REGISTER, unique_email

if TYPE_CHECKING:
    from tests.api import Api
    from tests.faults.private_servers import PrivatePostgres, PrivateRedis

WRITERS = 3


async def outages(postgres: PrivatePostgres, redis: PrivateRedis) -> None:
    """Each server down for a moment, one after the other, with service in between."""
    steps = [
        (postgres.stop, postgres.start),
        (redis.stop, redis.start),
        (postgres.pause, postgres.resume),
        (redis.pause, redis.resume),
    ]
    for down, up in steps:
        await asyncio.sleep(0.6)
        await asyncio.to_thread(down)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(up)
    await asyncio.sleep(2.0)


async def register_until(
    api: Api, done: asyncio.Event, answers: list[tuple[str, str | None, float]]
) -> None:
    while not done.is_set():
        email = unique_email()
        body = await api.post_graphql(REGISTER, {"input": {"email": email, "password": PASSWORD}})
        code = body["errors"][0]["extensions"]["code"] if body.get("errors") else None
        answers.append((email, code, time.monotonic()))


async def test_every_registration_answered_with_success_is_kept(
    postgres_cluster: PrivatePostgres,
    postgres_url: str,
    redis_server: PrivateRedis,
    app_on: Any,
) -> None:
    answers: list[tuple[str, str | None, float]] = []
    done = asyncio.Event()
    async with app_on(postgres_url, redis_server.url) as api:
        writers = [asyncio.create_task(register_until(api, done, answers)) for _ in range(WRITERS)]
        try:
            await outages(postgres_cluster, redis_server)
        finally:
            done.set()
            await asyncio.gather(*writers)

    codes = {code for _, code, _ in answers}
    assert codes == {None, "SERVICE_UNAVAILABLE"}  # the outages showed, and nothing else did
    last_failure = max(at for _, code, at in answers if code is not None)
    assert any(code is None and at > last_failure for _, code, at in answers)  # recovered

    engine = create_async_engine(postgres_url)
    async with engine.connect() as connection:
        stored = set((await connection.execute(text("SELECT email FROM account"))).scalars())
    await engine.dispose()
    succeeded = {email for email, code, _ in answers if code is None}
    assert succeeded <= stored
