"""Pytest fixtures for the stand-ins; load with `pytest_plugins = ["tests.standins.plugin"]`."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import pytest

from tests.standins.server import ClearbitStandin, HunterStandin, StandinServer

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def standin_server() -> Iterator[StandinServer]:
    """One stand-in server for the session; tests keep apart by using unique emails."""
    server = StandinServer(
        hunter_key=f"hunter-{secrets.token_hex(12)}",
        clearbit_key=f"sk_{secrets.token_hex(12)}",
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hunter(standin_server: StandinServer) -> HunterStandin:
    """Hunter's stand-in: `.verifier` and `.combined` endpoints, `.settings()` overrides."""
    return standin_server.hunter


@pytest.fixture(scope="session")
def clearbit(standin_server: StandinServer) -> ClearbitStandin:
    """Clearbit's stand-in: the `.combined` endpoint, `.settings()` overrides."""
    return standin_server.clearbit
