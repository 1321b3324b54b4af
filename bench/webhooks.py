"""The `webhook-delivery` scenario: how fast one instance's workers deliver a backlog.

A superuser (promoted in the database) creates an endpoint on a local receiver; a backlog of
events and their pending deliveries is then written straight into the outbox, as a burst of
commits would leave it. The instance's delivery workers (one a worker process) find it by
polling, claim it in batches and POST each event, signed, to the receiver. The rate is
distinct events received per second, from the first call to the last; the receiver verifies
every signature with the standardwebhooks package (a wrong one is an error). The workers' CPU
seconds are reported too: events per CPU second is what a less busy machine would reach.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks import Webhook, WebhookVerificationError

from app.models import EventRecord, WebhookDelivery
from bench.procs import cpu_times
from bench.runner import Measurement
from bench.service import LOGIN, PASSWORD, REGISTER, graphql

if TYPE_CHECKING:
    from bench.service import Server

SCENARIO = "webhook-delivery"
CREATE_ENDPOINT = (
    "mutation Create($input: CreateWebhookEndpointInput!) {"
    " createWebhookEndpoint(input: $input) { secret endpoint { id } } }"
)
INSERT_BATCH = 1000
EVENTS = 5000  # the backlog: about 20 s at the target
EVENTS_QUICK = 200
WITHIN = 120.0  # seconds the backlog's delivery may take
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"


class Receiver:
    """A minimal HTTP/1.1 receiver on a loopback port, in a thread of its own: keeps
    connections alive, verifies signatures, and notes when each event first arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.calls = 0
        self.bad_signatures = 0
        self.secret: str | None = None
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve()), name="bench-receiver", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(5)

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(5)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopping.wait()
        server.close()
        for writer in list(self._writers):
            writer.close()  # each connection's handler then ends on its own
        current = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not current]
        if others:
            await asyncio.wait(others, timeout=2)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self._note(headers, body)
                writer.write(OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _note(self, headers: dict[str, str], body: bytes) -> None:
        self.calls += 1
        if self.secret is not None:
            try:
                Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError:
                self.bad_signatures += 1
        self.arrivals.setdefault(headers.get("webhook-id", ""), time.monotonic())


def measure(server: Server, *, database_url: str, quick: bool = False) -> Measurement:
    """Deliver a backlog through the instance `server` to a local receiver."""
    events = EVENTS_QUICK if quick else EVENTS
    within = WITHIN
    receiver = Receiver()
    receiver.start()
    try:
        endpoint_id, secret = _endpoint(server.url, database_url, receiver.port)
        receiver.secret = secret
        ids = asyncio.run(_backlog(database_url, endpoint_id, events))
        written = time.monotonic()
        cpu_before = [cpu_times(pid).total for pid in server.workers]
        deadline = written + within
        while len(receiver.arrivals) < events and time.monotonic() < deadline:
            time.sleep(0.05)
        cpu = [
            cpu_times(pid).total - before
            for pid, before in zip(server.workers, cpu_before, strict=True)
        ]
        arrived = sorted(
            receiver.arrivals[event_id] for event_id in ids if event_id in receiver.arrivals
        )
    finally:
        receiver.stop()
    missing = events - len(arrived)
    span = arrived[-1] - arrived[0] if len(arrived) > 1 else 0.0
    rate = (len(arrived) - 1) / span if span > 0 else 0.0
    # Latency: from the backlog's commit to each event's arrival (the worker polls every 1 s).
    latencies = [(at - written) * 1000 for at in arrived]
    return Measurement(
        SCENARIO,
        rps=rate,
        p50_ms=latencies[len(latencies) // 2] if latencies else 0.0,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0,
        max_ms=latencies[-1] if latencies else 0.0,
        requests=receiver.calls,
        worker_cpu_s=cpu,
        errors=missing + receiver.bad_signatures,
        sample_error=(f"{missing} events not delivered within {within:.0f} s" if missing else "")
        or (f"{receiver.bad_signatures} bad signatures" if receiver.bad_signatures else ""),
    )


def _endpoint(base_url: str, database_url: str, port: int) -> tuple[int, str]:
    """A superuser's endpoint on the receiver: its id and secret."""
    email = f"hooks-{uuid.uuid4().hex[:8]}@bench.example.com"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        user = graphql(client, REGISTER, {"input": {"email": email, "password": PASSWORD}})
        asyncio.run(_promote(database_url, int(user["register"]["id"])))
        login = graphql(client, LOGIN, {"input": {"email": email, "password": PASSWORD}})
        variables = {"input": {"url": f"http://127.0.0.1:{port}/hook"}}
        created = graphql(client, CREATE_ENDPOINT, variables, login["login"]["accessToken"])
    answer = created["createWebhookEndpoint"]
    return int(answer["endpoint"]["id"]), answer["secret"]


async def _promote(database_url: str, user_id: int) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE account SET is_superuser = true WHERE id = :id"), {"id": user_id}
            )
    finally:
        await engine.dispose()


async def _backlog(database_url: str, endpoint_id: int, events: int) -> list[str]:
    """`events` code.created events and their pending deliveries, committed at once."""
    now = datetime.now(UTC)
    ids = [f"evt_{uuid.uuid4().hex}" for _ in range(events)]
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            for start in range(0, events, INSERT_BATCH):
                batch = ids[start : start + INSERT_BATCH]
                await connection.execute(
                    insert(EventRecord.__table__),  # type: ignore[attr-defined]
                    [
                        {
                            "id": event_id,
                            "type": "code.created",
                            "occurred_at": now,
                            "data": {
                                "owner": {"id": "1"},
                                "code": f"BENCH{n}",
                                "expiresAt": now.isoformat(),
                                "maxUses": None,
                            },
                        }
                        for n, event_id in enumerate(batch, start)
                    ],
                )
                await connection.execute(
                    insert(WebhookDelivery.__table__),  # type: ignore[attr-defined]
                    [
                        {
                            "endpoint_id": endpoint_id,
                            "event_id": event_id,
                            "status": "PENDING",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                        for event_id in batch
                    ],
                )
    finally:
        await engine.dispose()
    return ids
