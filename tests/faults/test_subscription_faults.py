"""Subscriptions through outages: Redis going away and coming back, the database down."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import TYPE_CHECKING

import pytest

from app.pubsub import RedisPubSub
from tests.graphql_ws import GraphQLWS, ProtocolError, served

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractAsyncContextManager

    from tests.api import Api
    from tests.faults.private_servers import PrivatePostgres, PrivateRedis

RECONNECTED_WITHIN = 15.0  # past the longest backoff (5 s) and a heartbeat's silence
FROZEN_FOR = 12.0  # past two heartbeats (app.pubsub.HEARTBEAT): the silence is noticed


async def test_pubsub_subscribers_hear_again_once_redis_is_back(
    redis_server: PrivateRedis,
) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    here, there = (
        RedisPubSub(redis_server.url, prefix=prefix),
        RedisPubSub(redis_server.url, prefix=prefix),
    )
    for pubsub in (here, there):
        await pubsub.start()
    try:
        async with there.subscribe("t") as subscription:
            await asyncio.wait_for(there.connected.wait(), 5)
            await asyncio.sleep(0.2)
            here.publish("t", {"n": 1})
            assert await asyncio.wait_for(subscription.__anext__(), 2) == {"n": 1}

            redis_server.stop()
            here.publish("t", {"n": 2})  # nowhere to go: pub/sub keeps nothing
            async with asyncio.timeout(5):
                while there.connected.is_set():  # noqa: ASYNC110 - watching a flag
                    await asyncio.sleep(0.05)

            redis_server.start()
            await asyncio.wait_for(there.connected.wait(), RECONNECTED_WITHIN)
            await asyncio.sleep(0.2)
            here.publish("t", {"n": 3})
            assert await asyncio.wait_for(subscription.__anext__(), 2) == {"n": 3}
    finally:
        for pubsub in (here, there):
            await pubsub.close()


async def test_a_connection_the_database_cannot_check_is_told_to_try_again(
    postgres_cluster: PrivatePostgres,
    postgres_url: str,
    app_on: Callable[..., AbstractAsyncContextManager[Api]],
) -> None:
    """1013 (try again later), not 4403: the token may well be good."""
    async with app_on(postgres_url, None) as api, served(api.app) as base:
        _, token = await api.signed_up()
        await asyncio.to_thread(postgres_cluster.stop)
        async with GraphQLWS.connect(base) as client:
            await client.send(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            )
            code, _ = await client.closed(within=10)
        assert code == 1013
        await asyncio.to_thread(postgres_cluster.start)
        async with GraphQLWS.connect(base) as client:
            assert await client.init_with_token(token) == {"type": "connection_ack"}


async def test_a_subscription_outlives_a_database_outage_in_its_checks(
    postgres_cluster: PrivatePostgres,
    postgres_url: str,
    app_on: Callable[..., AbstractAsyncContextManager[Api]],
) -> None:
    """A revocation check that cannot reach the database keeps the connection: the next one
    asks again."""
    async with (
        app_on(postgres_url, None, subscription_check_interval=0.3) as api,
        served(api.app) as base,
    ):
        _, token = await api.signed_up()
        async with GraphQLWS.connect(base) as client:
            await client.init_with_token(token)
            await client.subscribe()
            await asyncio.to_thread(postgres_cluster.stop)
            await asyncio.sleep(1.5)
            assert client.close_code is None
            await asyncio.to_thread(postgres_cluster.start)
            await client.send({"type": "ping"})
            assert await client.control() == {"type": "pong"}


async def test_subscriptions_hear_referrals_again_once_redis_is_back(
    redis_server: PrivateRedis,
    sqlite_url: str,
    app_on: Callable[..., AbstractAsyncContextManager[Api]],
) -> None:
    """Two instances on one database and the private Redis: a referral made through A reaches
    B's subscriber; with Redis down it cannot (the registration itself succeeds); once Redis is
    back, B's subscriber hears the next one, on the subscription it held all along."""
    async with (
        app_on(sqlite_url, redis_server.url) as a,
        app_on(sqlite_url, redis_server.url) as b,
        served(b.app) as base,
    ):
        _, token = await a.signed_up()
        code = (await a.create_code(token))["code"]
        async with GraphQLWS.connect(base) as client:
            await client.init_with_token(token)
            operation = await client.subscribe()
            await asyncio.sleep(0.3)
            first = await a.register(code=code)
            assert (await client.next_data(operation))["referralJoined"]["node"]["id"] == first[
                "id"
            ]

            redis_server.stop()
            await asyncio.sleep(1)
            await a.register(code=code)  # told to nobody else: pub/sub keeps nothing
            with pytest.raises(ProtocolError):
                await client.next_data(operation, within=1)

            redis_server.start()
            joined: set[str] = set()
            async with asyncio.timeout(RECONNECTED_WITHIN):
                while True:  # B subscribes again after its backoff: the first ones may be lost
                    joined.add((await a.register(code=code))["id"])
                    with contextlib.suppress(ProtocolError):
                        heard = await client.next_data(operation, within=1)
                        break
            assert heard["referralJoined"]["node"]["id"] in joined
            assert client.close_code is None


async def test_subscriptions_hear_referrals_again_after_redis_froze(
    redis_server: PrivateRedis,
    sqlite_url: str,
    app_on: Callable[..., AbstractAsyncContextManager[Api]],
) -> None:
    """A frozen Redis (as on a partition) closes nothing and answers nothing: registrations go
    on meanwhile, and once it answers again B's subscriber hears the referrals made after that
    (B has noticed the silence by an unanswered ping, and connects again)."""
    async with (
        app_on(sqlite_url, redis_server.url) as a,
        app_on(sqlite_url, redis_server.url) as b,
        served(b.app) as base,
    ):
        _, token = await a.signed_up()
        code = (await a.create_code(token))["code"]
        async with GraphQLWS.connect(base) as client:
            await client.init_with_token(token)
            operation = await client.subscribe()
            await asyncio.sleep(0.3)
            await a.register(code=code)
            await client.next_data(operation)

            redis_server.pause()
            await asyncio.sleep(FROZEN_FOR)
            await a.register(code=code)  # the request does not wait on the frozen Redis
            redis_server.resume()

            joined: set[str] = set()
            async with asyncio.timeout(RECONNECTED_WITHIN):
                while True:
                    joined.add((await a.register(code=code))["id"])
                    with contextlib.suppress(ProtocolError):
                        heard = await client.next_data(operation, within=1)
                        if heard["referralJoined"]["node"]["id"] in joined:
                            break
            assert client.close_code is None
