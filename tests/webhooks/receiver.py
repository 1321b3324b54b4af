"""A webhook receiver for tests: a real HTTP/1.1 server on a loopback port, in threads.

Each path answers what a test scripted for it (status, headers, a delay, an endless body),
and remembers every call it received. It can be stopped and started again on the same port,
to play an endpoint that is down for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.instances import free_port


@dataclass(frozen=True)
class Call:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived


@dataclass(frozen=True)
class Reply:
    """What to answer: `endless` streams a body that never ends (chunked)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    endless: bool = False


class Receiver:
    """Webhook endpoints at http://127.0.0.1:<port><path>."""

    def __init__(self) -> None:
        self.port = free_port()
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next calls to `path` with these, in order; the last one repeats."""
        with self._lock:
            self._scripts[path] = deque(replies)

    def calls(self, path: str | None = None) -> list[Call]:
        with self._lock:
            return [call for call in self._calls if path is None or call.path == path]

    async def wait_for(
        self, count: int, path: str | None = None, within: float = 10.0
    ) -> list[Call]:
        """The calls once there are at least `count` (to `path`); fails after `within` s."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            calls = self.calls(path)
            if len(calls) >= count:
                return calls
            await asyncio.sleep(0.02)
        raise AssertionError(
            f"{len(self.calls(path))} calls to {path} after {within} s, not {count}"
        )

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with receiver._lock:
                    receiver._connections.add(self.connection)

            def finish(self) -> None:
                with receiver._lock:
                    receiver._connections.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                path = self.path
                receiver._record(
                    Call(
                        path=path,
                        headers={name.lower(): value for name, value in self.headers.items()},
                        body=body,
                        at=time.monotonic(),
                    )
                )
                reply = receiver._next(path)
                if reply.delay:
                    time.sleep(reply.delay)
                with contextlib.suppress(OSError):  # the caller went away (a timeout)
                    self._answer(reply)

            def _answer(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.endless:
                    self.send_header("transfer-encoding", "chunked")
                    self.end_headers()
                    chunk = b"x" * 65536
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.close_connection = True
                    return
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-receiver", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop answering: connections are refused until start() again (same port)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            open_connections = list(self._connections)
        for connection in open_connections:  # kept-alive ones too: down is down
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _next(self, path: str) -> Reply:
        with self._lock:
            replies = self._scripts.get(path)
            if not replies:
                return Reply()
            return replies.popleft() if len(replies) > 1 else replies[0]
