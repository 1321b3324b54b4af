"""Redis down at start or mid-run: the service keeps answering from the database, rate limits
count in memory, and everything returns to Redis once it is back."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import redis.asyncio as redis

from tests.api import DELETE_CODE, LOGIN, unique_client, unique_email

if TYPE_CHECKING:
    from tests.api import Api
    from tests.faults.private_servers import PrivateRedis

# cache_timeout is 0.25 s in the fault tests; the breaker then skips Redis for 2 s.
ANSWER_WITHIN = 1.0
RECOVER_WITHIN = 10.0


async def lookup(api: Api, email: str) -> dict[str, Any] | None:
    """codeByEmail, which must answer quickly whatever Redis does."""
    started = time.monotonic()
    found = await api.code_by_email(email)
    assert time.monotonic() - started < ANSWER_WITHIN
    return found


async def keys(server: PrivateRedis, pattern: str) -> list[bytes]:
    client = redis.Redis.from_url(server.url)
    try:
        return [key async for key in client.scan_iter(match=pattern)]
    finally:
        await client.aclose()


async def until_ready(api: Api) -> None:
    deadline = time.monotonic() + RECOVER_WITHIN
    while (await api.http.get("/health/ready")).status_code != 200:
        assert time.monotonic() < deadline, f"not ready within {RECOVER_WITHIN} s"
        await asyncio.sleep(0.2)


async def test_redis_down_at_start_serves_from_the_database_and_recovers(
    redis_server: PrivateRedis, sqlite_url: str, app_on: Any
) -> None:
    redis_server.stop()
    async with app_on(sqlite_url, redis_server.url, rate_limits="on") as api:
        user, token = await api.signed_up()
        assert await lookup(api, user["email"]) is None
        code = await api.create_code(token)
        assert (await lookup(api, user["email"]))["code"] == code["code"]
        assert (await api.http.get("/health/ready")).json()["checks"]["cache"] == "down"

        async with api.connect(api.app, client=unique_client()) as guesser:
            variables = {"input": {"email": user["email"], "password": "wrong password"}}
            codes = [await guesser.error_code(LOGIN, variables) for _ in range(6)]
        assert codes == ["UNAUTHENTICATED"] * 5 + ["RATE_LIMITED"]

        redis_server.start()
        await until_ready(api)
        await asyncio.sleep(2.1)  # the limiter's breaker closes too
        assert (await lookup(api, user["email"]))["code"] == code["code"]
        await api.login(user["email"])
        assert await keys(redis_server, "referrals:code:*")
        assert await keys(redis_server, "referrals:limits:*")


async def test_redis_frozen_mid_run_never_serves_a_deleted_code(
    redis_server: PrivateRedis, sqlite_url: str, app_on: Any
) -> None:
    async with app_on(sqlite_url, redis_server.url) as api:
        user, token = await api.signed_up()
        code = (await api.create_code(token))["code"]
        assert await lookup(api, user["email"]) is not None  # now cached in Redis

        redis_server.pause()
        try:
            started = time.monotonic()
            await api.gql(DELETE_CODE, token=token)
            assert time.monotonic() - started < ANSWER_WITHIN
            assert await lookup(api, user["email"]) is None
            await api.register()
        finally:
            redis_server.resume()

        # Redis comes back holding the code from before the delete; the invalidation that could
        # not be written is replayed before anything is read from it again.
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline:
            assert await lookup(api, user["email"]) is None
            await asyncio.sleep(0.1)
        client = redis.Redis.from_url(redis_server.url)
        entry = await client.get(f"referrals:code:email:{user['email']}")
        await client.aclose()
        assert entry is not None
        assert code.encode() not in entry  # the tombstone replaced it, then "no code" filled in


async def test_redis_restarted_mid_run_is_used_again(
    redis_server: PrivateRedis, sqlite_url: str, app_on: Any
) -> None:
    async with app_on(sqlite_url, redis_server.url) as api:
        email = unique_email()
        assert await lookup(api, email) is None
        redis_server.stop()
        user, token = await api.signed_up()
        await api.create_code(token)
        assert await lookup(api, user["email"]) is not None
        redis_server.start()  # empty: it kept nothing on disk
        await until_ready(api)
        assert await lookup(api, user["email"]) is not None
        assert await keys(redis_server, f"referrals:code:email:{user['email']}")
