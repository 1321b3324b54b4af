"""Publish and subscribe by topic: in process, or across instances through Redis pub/sub.

`PubSub` (in process, the embedded default) hands a published message to this process's
subscribers of its topic. `RedisPubSub` does the same and also sends it through Redis, so that
every other process hears it: each process keeps one subscriber connection, SUBSCRIBEs to the
topics it has local subscribers for, and fans what arrives out to them. A process ignores its
own messages coming back (it delivered them already), so local subscribers never depend on
Redis, and nothing is delivered twice.

Redis pub/sub keeps nothing: what is published while a process is cut off from Redis does not
reach it. When the subscriber connection breaks, it is made again with backoff and every topic
is subscribed again, so that subscriptions resume as soon as Redis is back. Publishing never
waits on Redis: messages are queued to one sender task, which drops them while Redis is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import orjson
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from redis.asyncio.client import PubSub as RedisSubscriber

logger = logging.getLogger(__name__)

Message = dict[str, Any]  # JSON-able; subscribers must not change what they receive

# Messages a subscriber may have waiting; past it, new ones are dropped for that subscriber.
SUBSCRIBER_BACKLOG = 256
# Messages waiting for the sender task; past it (Redis slow or down), new ones are dropped.
SEND_BACKLOG = 10_000
SEND_TIMEOUT = 2.0
CONNECT_TIMEOUT = 2.0
# Reconnection waits double from the first to the last, with jitter.
BACKOFF_FIRST = 0.1
BACKOFF_LAST = 5.0
# The subscriber connection is pinged when silent this long, and made again when a ping goes
# unanswered as long again (a frozen or partitioned server closes nothing).
HEARTBEAT = 5.0


class Subscription:
    """What one subscriber receives on one topic, in order: iterate it."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self._queue: asyncio.Queue[Message] = asyncio.Queue(maxsize=SUBSCRIBER_BACKLOG)
        self._dropped = 0

    def deliver(self, message: Message) -> None:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self._dropped += 1
            if self._dropped == 1 or self._dropped % SUBSCRIBER_BACKLOG == 0:
                logger.warning("a slow subscriber missed %d messages", self._dropped)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Message:
        return await self._queue.get()


class PubSub:
    """In-process publish and subscribe: what is published reaches this process's subscribers."""

    def __init__(self) -> None:
        self._local: dict[str, set[Subscription]] = {}

    async def start(self) -> None:
        """Nothing to start in process; RedisPubSub connects here."""

    async def close(self) -> None:
        """Nothing to close in process; RedisPubSub disconnects here."""

    def publish(self, topic: str, message: Message) -> None:
        """Hand `message` to every subscriber of `topic`; never waits, never raises."""
        self._fan_out(topic, message)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        """The messages published on `topic` from now until the block ends."""
        subscription = Subscription(topic)
        subscribers = self._local.setdefault(topic, set())
        subscribers.add(subscription)
        if len(subscribers) == 1:
            await self._first_subscriber(topic)
        try:
            yield subscription
        finally:
            subscribers.discard(subscription)
            if not subscribers and self._local.get(topic) is subscribers:
                del self._local[topic]
                await self._last_subscriber_left(topic)

    @property
    def topics(self) -> frozenset[str]:
        """The topics this process has subscribers for."""
        return frozenset(self._local)

    def _fan_out(self, topic: str, message: Message) -> None:
        for subscription in self._local.get(topic, ()):
            subscription.deliver(message)

    async def _first_subscriber(self, topic: str) -> None:
        """A topic gained its first subscriber in this process."""

    async def _last_subscriber_left(self, topic: str) -> None:
        """A topic lost its last subscriber in this process."""


class RedisPubSub(PubSub):
    """Publish and subscribe across every process that shares the Redis at `url`.

    Topics are Redis channels under `prefix`, so that deployments sharing a Redis do not hear
    each other.
    """

    def __init__(self, url: str, *, prefix: str) -> None:
        super().__init__()
        self._prefix = f"{prefix}:"
        self._origin = uuid.uuid4().hex  # this process, to recognise its own messages
        # The sender retries once at once: the first command after Redis came back finds its
        # pooled connection dead, and the retry connects again. The listener's failures reach
        # `_listen`, which decides.
        self._sender = Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=SEND_TIMEOUT,
            retry=Retry(NoBackoff(), 1),
        )
        self._listener = Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=None,
            retry=Retry(NoBackoff(), 0),
        )
        self._subscriber: RedisSubscriber | None = None
        self._changes = asyncio.Lock()
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(maxsize=SEND_BACKLOG)
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = asyncio.Event()  # the subscriber connection is up and subscribed

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="pubsub listener"),
            asyncio.create_task(self._send(), name="pubsub sender"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._sender.aclose()
        await self._listener.aclose()

    def publish(self, topic: str, message: Message) -> None:
        """Deliver to this process's subscribers at once, and queue for the other processes."""
        self._fan_out(topic, message)
        envelope = orjson.dumps({"origin": self._origin, "message": message})
        try:
            self._outbox.put_nowait((self._prefix + topic, envelope))
        except asyncio.QueueFull:
            logger.warning("pub/sub: Redis is behind; a message for other instances is dropped")

    async def _send(self) -> None:
        """Publish what is queued, in order; while Redis fails, drop rather than pile up."""
        failing = False
        while True:
            channel, envelope = await self._outbox.get()
            try:
                await self._sender.publish(channel, envelope)
            except (RedisError, OSError) as error:
                if not failing:
                    logger.warning("pub/sub: publishing failed (%s)", type(error).__name__)
                failing = True
            else:
                if failing:
                    logger.info("pub/sub: publishing again")
                failing = False

    async def _first_subscriber(self, topic: str) -> None:
        await self._follow(topic)

    async def _last_subscriber_left(self, topic: str) -> None:
        await self._follow(topic)

    async def _follow(self, topic: str) -> None:
        """SUBSCRIBE or UNSUBSCRIBE the topic's channel as its local subscribers now need, one
        change at a time: a topic left and joined again at once ends subscribed, whichever
        command was sent first. Without a connection, the listener subscribes on reconnecting."""
        async with self._changes:
            subscriber = self._subscriber
            if subscriber is None:
                return
            channel = self._prefix + topic
            with contextlib.suppress(RedisError, OSError):  # the listener reconnects on its own
                if topic in self._local:
                    await subscriber.subscribe(channel)
                else:
                    await subscriber.unsubscribe(channel)

    async def _listen(self) -> None:
        """Hold the subscriber connection: make it, subscribe every topic, fan messages out;
        when it breaks, wait (doubling, with jitter) and make it again."""
        backoff = BACKOFF_FIRST
        while True:
            subscriber = self._listener.pubsub(ignore_subscribe_messages=True)
            try:
                # Subscribed to one channel of its own first, so that it is never without one.
                await subscriber.subscribe(f"{self._prefix}process:{self._origin}")
                async with self._changes:
                    self._subscriber = subscriber
                    channels = [self._prefix + topic for topic in self.topics]
                    if channels:
                        await subscriber.subscribe(*channels)
                if backoff > BACKOFF_FIRST:
                    logger.info("pub/sub: subscribed again")
                self.connected.set()
                backoff = BACKOFF_FIRST
                await self._receive(subscriber)
            except (RedisError, OSError) as error:
                if backoff == BACKOFF_FIRST:
                    logger.warning("pub/sub: lost Redis (%s); reconnecting", type(error).__name__)
            finally:
                self.connected.clear()
                self._subscriber = None
                with contextlib.suppress(RedisError, OSError):
                    await subscriber.aclose()
            await asyncio.sleep(backoff * random.uniform(0.5, 1.0))  # noqa: S311 - jitter
            backoff = min(backoff * 2, BACKOFF_LAST)

    async def _receive(self, subscriber: RedisSubscriber) -> None:
        heard = time.monotonic()
        pinged = False
        while True:
            received = await subscriber.get_message(timeout=HEARTBEAT)
            now = time.monotonic()
            if received is not None:
                heard, pinged = now, False
                if received["type"] == "message":
                    self._dispatch(received["channel"], received["data"])
            elif now - heard >= 2 * HEARTBEAT and pinged:
                raise ConnectionError("the pub/sub connection went silent")
            elif now - heard >= HEARTBEAT and not pinged:
                await subscriber.ping()
                pinged = True

    def _dispatch(self, channel: bytes, data: bytes) -> None:
        try:
            envelope = orjson.loads(data)
            origin, message = envelope["origin"], envelope["message"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            logger.warning("pub/sub: an unreadable message was ignored")
            return
        if origin != self._origin:
            self._fan_out(channel.decode().removeprefix(self._prefix), message)


def pubsub_for(redis_url: str | None, *, prefix: str) -> PubSub:
    """Redis pub/sub when a Redis URL is configured; in process otherwise."""
    return RedisPubSub(redis_url, prefix=prefix) if redis_url else PubSub()
