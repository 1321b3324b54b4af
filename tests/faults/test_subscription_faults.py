"""Subscriptions and Redis: when Redis goes away and comes back, subscribers hear again."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from app.pubsub import RedisPubSub

if TYPE_CHECKING:
    from tests.faults.private_servers import PrivateRedis

RECONNECTED_WITHIN = 15.0  # past the longest backoff (5 s) and a heartbeat's silence


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
