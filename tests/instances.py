"""Real service instances for tests that need processes: `python -m app serve` on free ports.

An instance gets a clean environment (nothing of the caller's shell but PATH, HOME and LANG),
the settings the test gives, and is stopped (SIGTERM, then SIGKILL) when the block ends.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping
    from pathlib import Path

START_TIMEOUT = 30.0
STOP_TIMEOUT = 25.0  # past the server's 20 s graceful shutdown
SECRET_KEY = "instances-test-secret-key-long-enough-for-hs256"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Instance:
    """One running `python -m app serve`, reachable at `base_url`."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"

    def client(self, **options: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=10.0, **options)  # type: ignore[arg-type]

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the server's process group and wait for it; killed if it does not stop."""
        if self.process.returncode is None:
            os.killpg(self.process.pid, sig)
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    await self.process.wait()
            except TimeoutError:
                os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()
        assert self.process.returncode is not None
        return self.process.returncode


def instance_env(folder: Path, port: int, settings: Mapping[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env |= {
        "PYTHONPATH": ROOT,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'referrals.db'}",
        "SECRET_KEY": SECRET_KEY,
        "DATA_DIR": str(folder),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "RATE_LIMITS": "off",
        "LOG_LEVEL": "WARNING",
        "ENRICHMENT_ENABLED": "false",
    }
    return env | dict(settings)


@asynccontextmanager
async def serving(folder: Path, *, workers: int = 1, **settings: str) -> AsyncIterator[Instance]:
    """A live instance with these settings (environment variable names, any case)."""
    port = free_port()
    env = instance_env(folder, port, {name.upper(): value for name, value in settings.items()})
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "app", "serve", "--workers", str(workers)),
        cwd=folder,
        env=env,
        start_new_session=True,
    )
    instance = Instance(process, port)
    try:
        await until_live(instance)
        yield instance
    finally:
        await instance.stop()


async def until_live(instance: Instance) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with instance.client() as client:
        while time.monotonic() < deadline:
            assert instance.process.returncode is None, "the server exited while starting"
            try:
                if (await client.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the server did not become live")
