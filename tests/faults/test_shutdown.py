"""SIGTERM to a real server drains the requests in flight: each is answered, and kept.

"In flight" is observed, not guessed: every registration waits on the Hunter stand-in, which
holds its answers for a while, and the signal goes only once the stand-in has seen them all.
"""

from __future__ import annotations

import asyncio
import dataclasses
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
from tests.standins.answers import verification

if TYPE_CHECKING:
    from pathlib import Path

    from tests.standins.server import HunterStandin

IN_FLIGHT = 16
VERIFIER_DELAY = 1.5  # seconds each registration waits on Hunter, well inside the 4 s budget


def start_server(folder: Path, port: int, hunter: HunterStandin) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env |= {
        "PYTHONPATH": os.getcwd(),
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'referrals.db'}",
        "SECRET_KEY": "shutdown-test-secret-key-long-enough-for-hs256",
        "DATA_DIR": str(folder),
        "PORT": str(port),
        "RATE_LIMITS": "off",
        "LOG_LEVEL": "WARNING",
        "HUNTER_API_KEY": hunter.api_key,
        "HUNTER_API_URL": hunter.base_url,
        "ENRICHMENT_ENABLED": "false",
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


async def until_received(hunter: HunterStandin, emails: list[str]) -> None:
    """Wait until the server asked Hunter about every email: each request is mid-flight."""
    deadline = time.monotonic() + 20
    while not all(hunter.verifier.received(email) for email in emails):
        assert time.monotonic() < deadline, "the registrations did not reach the verifier"
        await asyncio.sleep(0.01)


async def test_sigterm_drains_requests_in_flight(tmp_path: Path, hunter: HunterStandin) -> None:
    emails = [unique_email() for _ in range(IN_FLIGHT)]
    slow = dataclasses.replace(verification("valid"), delay=VERIFIER_DELAY)
    for email in emails:
        hunter.verifier.script(email, slow)
    port = free_port()
    server = start_server(tmp_path, port, hunter)
    try:
        limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits
        ) as client:
            await until_live(client, server)

            async def register(email: str) -> tuple[httpx.Response, float]:
                variables = {"input": {"email": email, "password": PASSWORD}}
                response = await client.post(
                    "/graphql", json={"query": REGISTER, "variables": variables}
                )
                return response, time.monotonic()

            requests = [asyncio.create_task(register(email)) for email in emails]
            await until_received(hunter, emails)
            server.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            answers = await asyncio.gather(*requests)
        # uvicorn re-raises the signal once it has shut down, so the exit status names it.
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    for response, answered in answers:
        assert response.status_code == 200
        assert "errors" not in response.json()
        assert answered > signalled  # it was in flight when the signal came
    with sqlite3.connect(tmp_path / "referrals.db") as database:
        stored = {row[0] for row in database.execute("SELECT email FROM account")}
    assert set(emails) <= stored
