"""SIGTERM to a real server drains the requests in flight: each is answered, and kept."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import httpx

from tests.api import PASSWORD, REGISTER, unique_email
from tests.faults.private_servers import free_port

if TYPE_CHECKING:
    from pathlib import Path

IN_FLIGHT = 24  # each hashes a password: together they keep the server busy for a while


def start_server(folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env |= {
        "PYTHONPATH": os.getcwd(),
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'referrals.db'}",
        "SECRET_KEY": "shutdown-test-secret-key-long-enough-for-hs256",
        "DATA_DIR": str(folder),
        "PORT": str(port),
        "RATE_LIMITS": "off",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "app", "serve"], cwd=folder, env=env)


async def until_live(client: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited while starting"
        try:
            if (await client.get("/health/live")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the server did not start within 30 s")


async def test_sigterm_drains_requests_in_flight(tmp_path: Path) -> None:
    port = free_port()
    server = start_server(tmp_path, port)
    try:
        limits = httpx.Limits(max_connections=IN_FLIGHT + 1)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits
        ) as client:
            await until_live(client, server)
            emails = [unique_email() for _ in range(IN_FLIGHT)]

            async def register(email: str) -> tuple[int, float]:
                variables = {"input": {"email": email, "password": PASSWORD}}
                response = await client.post(
                    "/graphql", json={"query": REGISTER, "variables": variables}
                )
                assert "errors" not in response.json()
                return response.status_code, time.monotonic()

            requests = [asyncio.create_task(register(email)) for email in emails]
            await asyncio.sleep(0.15)  # all sent and read; most still hashing
            server.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            answers = await asyncio.gather(*requests)
        # uvicorn re-raises the signal once it has shut down, so the exit status names it.
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    assert [status for status, _ in answers] == [200] * IN_FLIGHT
    assert any(answered > signalled for _, answered in answers)  # in flight at the signal
    with sqlite3.connect(tmp_path / "referrals.db") as database:
        stored = {row[0] for row in database.execute("SELECT email FROM account")}
    assert set(emails) <= stored
