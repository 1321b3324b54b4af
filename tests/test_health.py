"""Health endpoints that orchestrators and test harnesses wait on."""

from __future__ import annotations

import socket
from typing import Any

from app.main import create_app
from tests.api import Api
from tests.conftest import make_settings, running


async def test_live_answers_ok(api: Api) -> None:
    response = await api.http.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_the_database_and_the_cache(api: Api) -> None:
    response = await api.http.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_ready_says_what_is_down(backend: dict[str, Any]) -> None:
    settings = make_settings(
        backend,
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none",
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        db_timeout=1.0,
    )
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        response = await api.http.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "down", "cache": "down"}
