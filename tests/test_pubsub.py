"""Publish and subscribe: in process, and across processes through the shared Redis."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

import pytest

from app.pubsub import PubSub, RedisPubSub
from tests.servers import require_server

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from app.pubsub import Subscription

WITHIN = 2.0


async def received(subscription: Subscription, within: float = WITHIN) -> dict[str, object]:
    return await asyncio.wait_for(subscription.__anext__(), within)


async def nothing_more(subscription: Subscription, within: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(subscription.__anext__(), within)


@asynccontextmanager
async def redis_pubsubs(
    count: int, *, prefix: str | None = None
) -> AsyncIterator[list[RedisPubSub]]:
    """`count` processes' worth of Redis pub/sub on the shared test Redis, connected."""
    url = require_server("Redis", "TEST_REDIS_URL")
    prefix = prefix or f"test-{uuid.uuid4().hex}"
    async with AsyncExitStack() as stack:
        pubsubs = [RedisPubSub(url, prefix=prefix) for _ in range(count)]
        for pubsub in pubsubs:
            await pubsub.start()
            stack.push_async_callback(pubsub.close)
        for pubsub in pubsubs:
            await asyncio.wait_for(pubsub.connected.wait(), WITHIN)
        yield pubsubs


async def test_in_process_subscribers_hear_their_topic_only() -> None:
    pubsub = PubSub()
    async with (
        pubsub.subscribe("a") as first,
        pubsub.subscribe("a") as second,
        pubsub.subscribe("b") as other,
    ):
        pubsub.publish("a", {"n": 1})
        pubsub.publish("a", {"n": 2})
        assert [await received(first), await received(first)] == [{"n": 1}, {"n": 2}]
        assert await received(second) == {"n": 1}
        await nothing_more(other)
    assert pubsub.topics == frozenset()


async def test_a_slow_subscriber_loses_new_messages_not_the_process() -> None:
    pubsub = PubSub()
    async with pubsub.subscribe("a") as slow:
        for n in range(300):
            pubsub.publish("a", {"n": n})
        got = [await received(slow) for _ in range(256)]
        assert got == [{"n": n} for n in range(256)]
        await nothing_more(slow)


@pytest.mark.needs_server
async def test_a_message_reaches_every_process_once() -> None:
    async with (
        redis_pubsubs(2) as (here, there),
        here.subscribe("t") as local,
        there.subscribe("t") as remote,
    ):
        await asyncio.sleep(0.2)  # SUBSCRIBE reaches Redis
        here.publish("t", {"n": 1})
        assert await received(remote) == {"n": 1}
        assert await received(local) == {"n": 1}
        await nothing_more(local)  # not again, through Redis
        await nothing_more(remote)


@pytest.mark.needs_server
async def test_a_process_hears_only_the_topics_it_has_subscribers_for() -> None:
    async with redis_pubsubs(2) as (here, there):
        async with there.subscribe("mine") as mine:
            await asyncio.sleep(0.2)
            here.publish("yours", {"n": 1})
            here.publish("mine", {"n": 2})
            assert await received(mine) == {"n": 2}
        async with there.subscribe("later") as later:
            await asyncio.sleep(0.2)
            here.publish("mine", {"n": 3})  # nobody there listens to it any more
            here.publish("later", {"n": 4})
            assert await received(later) == {"n": 4}


@pytest.mark.needs_server
async def test_deployments_with_other_prefixes_do_not_hear_each_other() -> None:
    async with (
        redis_pubsubs(1) as (here,),
        redis_pubsubs(1) as (elsewhere,),
        elsewhere.subscribe("t") as subscription,
    ):
        await asyncio.sleep(0.2)
        here.publish("t", {"n": 1})
        await nothing_more(subscription)


@pytest.mark.needs_server
async def test_a_topic_left_and_joined_again_at_once_is_still_heard() -> None:
    """The last subscriber leaves and a new one comes in the same instant (a client that
    completes and subscribes again): the process ends subscribed to the topic."""
    async with redis_pubsubs(2) as (here, there):
        for n in range(20):
            async with there.subscribe("t"):
                pass
            async with there.subscribe("t") as again:
                await asyncio.sleep(0.05)
                here.publish("t", {"n": n})
                assert await received(again) == {"n": n}
