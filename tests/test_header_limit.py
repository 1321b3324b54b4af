"""Request heads over 16 KiB are refused with 431 by the real server, and nobody else waits.

These run against `python -m app serve` over raw sockets, since the limit lives in the server's
HTTP protocol (app.header_limit), beneath anything an in-process client reaches.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.header_limit import MAX_HEAD_BYTES, HeadLimitedHttpToolsProtocol
from tests.faults.private_servers import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

HUGE = 64 * 1024 * 1024
STALL_BOUND = 1.0  # seconds; a 64 MB head held every other request for 2.6 to 4.3 s


@pytest.fixture(scope="module")
def port(backend: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A `python -m app serve` on this backend, listening on a free loopback port."""
    folder = tmp_path_factory.mktemp("header-limit")
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env |= {
        "PYTHONPATH": os.getcwd(),
        "DATABASE_URL": backend["database_url"],
        "SECRET_KEY": "header-limit-test-secret-key-long-enough",
        "DATA_DIR": str(folder),
        "PORT": str(listening := free_port()),
        "RATE_LIMITS": "off",
        "LOG_LEVEL": "WARNING",
    }
    if backend["redis_url"]:
        env["REDIS_URL"] = backend["redis_url"]
    server = subprocess.Popen([sys.executable, "-m", "app", "serve"], cwd=folder, env=env)
    try:
        deadline = time.monotonic() + 30
        while get(listening, "/health/live") is None:
            assert server.poll() is None, "the server exited while starting"
            assert time.monotonic() < deadline, "the server did not start within 30 s"
            time.sleep(0.1)
        yield listening
    finally:
        server.terminate()
        server.wait(timeout=30)


def get(port: int, path: str) -> int | None:
    """The status of a GET on a new connection; None while nothing listens."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def answers(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """Up to `count` responses read from `sock`, fewer if the server closes it: status, body."""
    sock.settimeout(10)
    data, parsed = b"", []
    while len(parsed) < count:
        head, separator, rest = data.partition(b"\r\n\r\n")
        if separator:
            fields = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:])
            length = int(fields.get(b"content-length", b"0"))
            if len(rest) >= length:
                parsed.append((int(head.split(b" ")[1]), rest[:length]))
                data = rest[length:]
                continue
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:  # the client was still sending when the server closed
            chunk = b""
        if not chunk:
            break
        data += chunk
    return parsed


def send_huge_head(sock: socket.socket, size: int) -> None:
    """Send a request whose one header holds `size` bytes, in chunks, until the server answers."""
    sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\nX-Big: ")
    chunk, sent = b"a" * 65536, 0
    try:
        while sent < size and not select.select([sock], [], [], 0)[0]:
            sock.sendall(chunk)
            sent += len(chunk)
        sock.sendall(b"\r\n\r\n")
    except OSError:
        pass  # the server stopped reading: its answer is waiting


def request(headers: bytes = b"", body: bytes = b"", method: bytes = b"GET") -> bytes:
    path = b"/graphql" if body else b"/health/live"
    length = b"Content-Length: %d\r\nContent-Type: application/json\r\n" % len(body)
    return method + b" " + path + b" HTTP/1.1\r\nHost: test\r\n" + length + headers + b"\r\n" + body


def padding(total: int, *, header_size: int = 8000) -> bytes:
    """Header lines of about `total` bytes, none longer than `header_size`."""
    lines, remaining, number = [], total, 0
    while remaining > 0:
        value = b"v" * max(1, min(header_size, remaining) - 14)
        lines.append(b"X-Pad-%05d: %s\r\n" % (number, value))
        remaining -= len(lines[-1])
        number += 1
    return b"".join(lines)


def exchange(port: int, payload: bytes, count: int) -> list[int]:
    """Send `payload` at once and read up to `count` answers: their statuses."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(payload)
        return [status for status, _ in answers(sock, count)]


def test_a_64_mb_header_is_refused_with_431_while_others_are_served_at_once(port: int) -> None:
    latencies: list[float] = []
    attack_over = threading.Event()

    def other_client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while not attack_over.is_set():
            started = time.perf_counter()
            connection.request("GET", "/health/live")
            assert connection.getresponse().read() == b'{"status":"ok"}'
            latencies.append(time.perf_counter() - started)
            time.sleep(0.005)

    other = threading.Thread(target=other_client)
    other.start()
    try:
        while len(latencies) < 3:
            time.sleep(0.01)
        before = len(latencies)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            started = time.perf_counter()
            send_huge_head(sock, HUGE)
            refused = answers(sock, 2)
            elapsed = time.perf_counter() - started
        time.sleep(0.1)
    finally:
        attack_over.set()
        other.join()
    assert [status for status, _ in refused] == [431]
    assert json.loads(refused[0][1]) == {"detail": "The request headers are larger than 16 KiB."}
    assert elapsed < STALL_BOUND
    during = latencies[before:]
    assert during, "no other request ran while the header was being sent"
    assert max(during) < STALL_BOUND, f"another request waited {max(during):.2f} s"


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (padding(MAX_HEAD_BYTES - 1024), 200),
        (padding(MAX_HEAD_BYTES + 1024), 431),
        (padding(MAX_HEAD_BYTES + 1024, header_size=60), 431),  # many small headers
        (padding(MAX_HEAD_BYTES + 1024, header_size=MAX_HEAD_BYTES + 1024), 431),
    ],
    ids=["just-under", "just-over", "many-small-headers", "one-large-header"],
)
def test_the_limit_is_on_the_whole_head(port: int, head: bytes, status: int) -> None:
    assert exchange(port, request(head), 2) == [status]


def test_a_large_body_after_a_small_head_is_no_large_head(port: int) -> None:
    body = json.dumps({"query": "{ __typename }" + " " * 60_000}).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request(body=body, method=b"POST"))
        [(status, answered)] = answers(sock, 1)
    assert (status, json.loads(answered)) == (200, {"data": {"__typename": "Query"}})


def test_a_large_head_on_a_kept_alive_connection_is_refused_too(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request())
        assert [status for status, _ in answers(sock, 1)] == [200]
        send_huge_head(sock, 1024 * 1024)
        assert [status for status, _ in answers(sock, 2)] == [431]


@pytest.mark.parametrize("requests_before", [1, 40])
@pytest.mark.parametrize("head_size", [MAX_HEAD_BYTES + 4096, 1024 * 1024])
def test_a_large_head_pipelined_after_small_requests_is_refused_after_them(
    port: int, requests_before: int, head_size: int
) -> None:
    pipelined = request() * requests_before + request(padding(head_size))
    assert exchange(port, pipelined, requests_before + 2) == [200] * requests_before + [431]


def test_small_requests_pipelined_past_the_limit_are_all_served(port: int) -> None:
    pipelined = request() * 400  # over 32 KiB in one send, each head small
    assert len(pipelined) > 2 * MAX_HEAD_BYTES
    assert exchange(port, pipelined, 400) == [200] * 400


def test_uvicorn_still_has_what_the_head_limit_overrides() -> None:
    """app.header_limit overrides these; a uvicorn without them would bypass the limit."""
    overridden = {
        "data_received",
        "on_headers_complete",
        "on_message_complete",
        "on_response_complete",
    }
    assert overridden <= set(vars(HeadLimitedHttpToolsProtocol))
    for name in overridden:
        assert callable(getattr(HttpToolsProtocol, name, None)), name
