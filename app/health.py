"""Liveness and readiness for orchestrators."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy import text
from starlette.responses import JSONResponse

if TYPE_CHECKING:
    from starlette.requests import Request

    from app.runtime import Runtime

READY_TIMEOUT = 2.0


async def live(request: Request) -> JSONResponse:
    """The process is up and serving."""
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    """The database and the cache answer; 503 with what is down otherwise."""
    runtime: Runtime = request.app.state.runtime
    database, cache = await asyncio.gather(_database_answers(runtime), runtime.cache.ping())
    checks = {"database": "ok" if database else "down", "cache": "ok" if cache else "down"}
    ready_now = database and cache
    return JSONResponse(
        {"status": "ok" if ready_now else "unavailable", "checks": checks},
        status_code=200 if ready_now else 503,
    )


async def _database_answers(runtime: Runtime) -> bool:
    try:
        async with asyncio.timeout(READY_TIMEOUT), runtime.database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
