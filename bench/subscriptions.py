"""The subscription scenarios: 1,000 `referralJoined` subscriptions open on a server of one
worker, 100 WebSocket connections (graphql-transport-ws) of 10 each.

`subscription-fanout` (the judged one): each connection is another referrer's, and newcomers
register with the referrers' codes in turn, one after another as fast as registration goes
(argon2id), so that each registration is heard by its referrer's 10 subscriptions while the
other 990 stay open. `subscription-fanout-one`: every connection is the same referrer's, so each
registration is heard by all 1,000 at once, a pause apart: the worst burst one event can cause.

A delivery's latency runs from the newcomer's `createdAt` (set in the registration's
transaction, just before its commit, by the server's clock: the bench runs on the same machine)
to the moment the bench reads the message off its socket: the commit, the fan-out, the
encoding and the network. A delivery that never comes within DELIVERY_TIMEOUT is an error.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.runner import Measurement
from bench.service import CREATE_CODE, LOGIN, PASSWORD, REGISTER

if TYPE_CHECKING:
    from bench.service import Server

CONNECTIONS = 100
PER_CONNECTION = 10  # the contract's most per connection
SEED_CONCURRENCY = 4
DELIVERY_TIMEOUT = 5.0
OPEN_METRIC = "referrals_subscriptions_open"
SUBSCRIPTION = {"query": "subscription { referralJoined { cursor node { id email createdAt } } }"}


@dataclass(frozen=True, slots=True)
class Shape:
    """How many referrers share the connections, how many registrations, how far apart."""

    name: str
    referrers: int
    events: int
    quick_events: int
    pause: float


SPREAD = Shape("subscription-fanout", referrers=CONNECTIONS, events=300, quick_events=30, pause=0)
ONE = Shape("subscription-fanout-one", referrers=1, events=20, quick_events=3, pause=1.0)


def measure(server: Server, shape: Shape, *, quick: bool, run_id: str) -> Measurement:
    """Run the scenario of this shape against `server` (one worker): its deliveries' latencies."""
    events = shape.quick_events if quick else shape.events
    return asyncio.run(_measure(server, shape, events=events, run_id=run_id))


async def _measure(server: Server, shape: Shape, *, events: int, run_id: str) -> Measurement:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        limit = asyncio.Semaphore(SEED_CONCURRENCY)
        referrers = await asyncio.gather(
            *(_referrer(http, limit, f"{shape.name}-{run_id}-{n}") for n in range(shape.referrers))
        )
        latencies: list[float] = []
        ws_url = server.url.replace("http://", "ws://") + "/graphql"
        connections = [
            await _subscribed(ws_url, referrers[n % len(referrers)][0]) for n in range(CONNECTIONS)
        ]
        readers = [asyncio.create_task(_read(c, latencies)) for c in connections]
        try:
            await _until_open(http, CONNECTIONS * PER_CONNECTION)
            started = time.monotonic()
            for n in range(events):
                code = referrers[n % len(referrers)][1]
                email = f"{shape.name}-{run_id}-joined-{n}@bench.example.com"
                variables = {"input": {"email": email, "password": PASSWORD, "referralCode": code}}
                await _graphql(http, REGISTER, variables)
                await asyncio.sleep(shape.pause)
            hearers = CONNECTIONS * PER_CONNECTION // len(referrers)
            expected = events * hearers
            deadline = time.monotonic() + DELIVERY_TIMEOUT
            while len(latencies) < expected and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            elapsed = time.monotonic() - started
        finally:
            for reader in readers:
                reader.cancel()
            for connection in connections:
                await connection.close()
    ordered = sorted(latencies)
    missing = expected - len(ordered)
    return Measurement(
        shape.name,
        rps=len(ordered) / elapsed if elapsed else 0.0,
        p50_ms=percentile(ordered, 50) * 1000,
        p90_ms=percentile(ordered, 90) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        max_ms=(ordered[-1] if ordered else 0.0) * 1000,
        requests=len(ordered),
        errors=missing,
        sample_error=f"{missing} deliveries missing" if missing else "",
        worker_connections=[CONNECTIONS],
    )


async def _referrer(http: httpx.AsyncClient, limit: asyncio.Semaphore, tag: str) -> tuple[str, str]:
    """A referrer signed in, with a code: its access token and the code."""
    credentials = {"input": {"email": f"{tag}@bench.example.com", "password": PASSWORD}}
    async with limit:
        await _graphql(http, REGISTER, credentials)
        token = (await _graphql(http, LOGIN, credentials))["login"]["accessToken"]
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    created = await _graphql(http, CREATE_CODE, {"input": {"expiresAt": expires}}, token=token)
    return token, created["createCode"]["code"]


async def _subscribed(url: str, token: str) -> ClientConnection:
    """A connection, initialised with the token, holding PER_CONNECTION subscriptions."""
    connection = await connect(
        url, subprotocols=[Subprotocol("graphql-transport-ws")], proxy=None, max_queue=None
    )
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await connection.send(orjson.dumps(init).decode())
    ack = orjson.loads(await connection.recv())
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"no connection_ack: {ack}")
    for n in range(PER_CONNECTION):
        message = {"id": str(n), "type": "subscribe", "payload": SUBSCRIPTION}
        await connection.send(orjson.dumps(message).decode())
    return connection


async def _read(connection: ClientConnection, latencies: list[float]) -> None:
    async for raw in connection:
        heard = time.time()
        message = orjson.loads(raw)
        if message.get("type") != "next" or message["payload"].get("errors"):
            raise RuntimeError(f"unexpected message: {message}")
        node = message["payload"]["data"]["referralJoined"]["node"]
        created = datetime.fromisoformat(node["createdAt"]).timestamp()
        latencies.append(heard - created)


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values; 0 for none."""
    if not ordered:
        return 0.0
    rank = max(1, round(share / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


async def _until_open(http: httpx.AsyncClient, count: int) -> None:
    """Wait until the server has every subscription open (its gauge, on /metrics)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        scrape = (await http.get("/metrics")).text
        for line in scrape.splitlines():
            if line.startswith(OPEN_METRIC) and float(line.split()[-1]) >= count:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the server did not open {count} subscriptions")


async def _graphql(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], *, token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body = answer.json()
    if answer.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL call failed: {answer.status_code} {body}")
    return dict(body["data"])
