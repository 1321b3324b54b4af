"""A small graphql-transport-ws client over a real WebSocket (the `websockets` package), and a
real server for an app that is already running (uvicorn on a free loopback port).

The protocol: github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import orjson
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette

PROTOCOL = Subprotocol("graphql-transport-ws")
TIMEOUT = 5.0

REFERRAL_JOINED = """
subscription { referralJoined { cursor node { id email createdAt isVerified } } }"""


class ProtocolError(AssertionError):
    """The server answered something the test did not expect."""


class GraphQLWS:
    """One connection: `init`, then `subscribe` and read each operation's messages by id."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._ids = itertools.count(1)
        self._operations: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._control: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    @asynccontextmanager
    async def connect(
        cls,
        base: str,
        *,
        subprotocols: list[str] | None = None,
        cookie: str | None = None,
        origin: str | None = None,
    ) -> AsyncIterator[GraphQLWS]:
        """A connection to ws://<base>/graphql (not yet initialised)."""
        headers = {"Cookie": cookie} if cookie else {}
        protocols = [Subprotocol(name) for name in (subprotocols or [PROTOCOL])]
        async with connect(
            f"ws://{base}/graphql",
            subprotocols=protocols,
            additional_headers=headers,
            origin=origin,  # type: ignore[arg-type]
            open_timeout=TIMEOUT,
            close_timeout=TIMEOUT,
            proxy=None,
        ) as connection:
            client = cls(connection)
            try:
                yield client
            finally:
                client._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await client._reader

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.connection:
                message = orjson.loads(raw)
                if "id" in message:
                    self._queue(message["id"]).put_nowait(message)
                else:
                    self._control.put_nowait(message)

    def _queue(self, operation_id: str) -> asyncio.Queue[dict[str, Any]]:
        return self._operations.setdefault(operation_id, asyncio.Queue())

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(orjson.dumps(message).decode())

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send connection_init; the server's connection_ack."""
        await self.send({"type": "connection_init", "payload": payload or {}})
        ack = await self.control()
        if ack["type"] != "connection_ack":
            raise ProtocolError(ack)
        return ack

    async def init_with_token(self, token: str) -> dict[str, Any]:
        return await self.init({"Authorization": f"Bearer {token}"})

    async def control(self, within: float = TIMEOUT) -> dict[str, Any]:
        """The next message that belongs to no operation (ack, ping, pong)."""
        getter = asyncio.ensure_future(self._control.get())
        closed = asyncio.ensure_future(self.connection.wait_closed())
        done, _ = await asyncio.wait(
            {getter, closed}, timeout=within, return_when=asyncio.FIRST_COMPLETED
        )
        closed.cancel()
        if getter in done:
            return getter.result()
        getter.cancel()
        raise ProtocolError(f"no message; closed: {self.close_code} {self.close_reason!r}")

    async def subscribe(self, query: str = REFERRAL_JOINED, **variables: Any) -> str:
        operation_id = str(next(self._ids))
        self._queue(operation_id)
        payload = {"query": query, "variables": variables}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})
        return operation_id

    async def message(self, operation_id: str, within: float = TIMEOUT) -> dict[str, Any]:
        """The operation's next message (next, error or complete)."""
        try:
            return await asyncio.wait_for(self._queue(operation_id).get(), within)
        except TimeoutError:
            raise ProtocolError(f"nothing for operation {operation_id} in {within} s") from None

    async def next_data(self, operation_id: str, within: float = TIMEOUT) -> dict[str, Any]:
        """The data of the operation's next `next` message; raises on anything else."""
        message = await self.message(operation_id, within)
        if message["type"] != "next" or message["payload"].get("errors"):
            raise ProtocolError(message)
        return message["payload"]["data"]

    def pending(self, operation_id: str) -> int:
        """How many messages of the operation have arrived and not been read."""
        return self._queue(operation_id).qsize()

    async def complete(self, operation_id: str) -> None:
        await self.send({"id": operation_id, "type": "complete"})

    async def closed(self, within: float = TIMEOUT) -> tuple[int | None, str | None]:
        """Wait for the server to close the connection: its close code and reason."""
        async with asyncio.timeout(within):
            await self.connection.wait_closed()
        return self.close_code, self.close_reason

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    @property
    def close_reason(self) -> str | None:
        return self.connection.close_reason


@asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[str]:
    """`app` (already inside its lifespan) behind a real uvicorn; its host:port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    config = uvicorn.Config(
        app, lifespan="off", log_config=None, access_log=False, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(10):
            while not server.started:  # noqa: ASYNC110 - uvicorn sets a flag, not an event
                await asyncio.sleep(0.01)
        yield f"{host}:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
