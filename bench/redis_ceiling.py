"""The Redis ceiling: a bare Starlette endpoint doing one Redis GET, served like the ceiling.

`python -m bench.redis_ceiling --workers N` serves `GET /redis` through `app.serving.run` with
the service's uvicorn options (bench.ceiling.serve). The pooled `redis.asyncio` client is made
in the lifespan from REDIS_URL; every request reads the same key, which holds a value shaped
and sized like the service's cached code entry, and answers it as it came.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import orjson
import redis.asyncio as redis
from starlette.applications import Starlette
from starlette.requests import Request  # noqa: TC002 - Starlette inspects nothing, but keep it runtime
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.cache.codes import code_to_json
from app.domain.codes import Code
from bench.ceiling import serve

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

KEY = "bench:redis-ceiling"
CODE = "BENCHCEILING"  # what the answer must contain
KEY_TTL = 3600  # the key leaves the shared Redis on its own


def cached_code_entry() -> bytes:
    """A value like the one the service caches for a code (app.cache.CodeCache's `{"v": ...}`)."""
    now = datetime.now(UTC)
    code = Code(id=1, code=CODE, owner_id=1, created_at=now, expires_at=now + timedelta(days=300))
    return orjson.dumps({"v": code_to_json(code)})


@asynccontextmanager
async def lifespan(application: Starlette) -> AsyncIterator[None]:
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    await client.set(KEY, cached_code_entry(), ex=KEY_TTL)
    application.state.redis = client
    try:
        yield
    finally:
        await client.aclose()


async def cached_entry(request: Request) -> Response:
    value = await request.app.state.redis.get(KEY)
    if value is None:
        return JSONResponse({"error": "the key is gone"}, status_code=503)
    return Response(value, media_type="application/json")


app = Starlette(routes=[Route("/redis", cached_entry, methods=["GET"])], lifespan=lifespan)


def main() -> None:
    serve("bench.redis_ceiling:app", prog="bench.redis_ceiling", description=__doc__)


if __name__ == "__main__":
    main()
