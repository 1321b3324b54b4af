"""GET /metrics: what Prometheus scrapes, guarded by METRICS_TOKEN.

With METRICS_TOKEN set, a scrape must send `Authorization: Bearer <METRICS_TOKEN>` (compared in
constant time). Without it, development and tests answer anyone, and production answers 404,
as if there were no such page.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from starlette.requests import Request

    from app.runtime import Runtime


async def scrape(request: Request) -> Response:
    """The metrics of every worker in Prometheus' text format (OpenMetrics when asked)."""
    runtime: Runtime = request.app.state.runtime
    token = runtime.settings.metrics_token
    if token is None and runtime.settings.is_production:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    if token is not None and not _bearer_matches(request.headers.get("authorization"), token):
        return JSONResponse(
            {"detail": "Not authenticated"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body, media_type = await asyncio.to_thread(
        runtime.metrics.exposition, request.headers.get("accept")
    )
    return Response(body, headers={"content-type": media_type, "cache-control": "no-store"})


def _bearer_matches(header: str | None, token: str) -> bool:
    scheme, _, presented = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())
