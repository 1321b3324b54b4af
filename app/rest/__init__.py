"""The REST transport: the replaced FastAPI service's paths over the same services as GraphQL,
declared once in a table that both the routes and the OpenAPI document are built from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException

from app.rest.docs import docs_routes
from app.rest.errors import http_error
from app.rest.table import OPERATIONS

if TYPE_CHECKING:
    from starlette.routing import BaseRoute
    from starlette.types import ExceptionHandler

    from app.settings import Settings


def rest_routes(settings: Settings) -> list[BaseRoute]:
    """Every REST operation, /openapi.json, /docs and /redoc."""
    return [*(operation.route() for operation in OPERATIONS), *docs_routes(settings)]


def rest_exception_handlers() -> dict[type[Exception], ExceptionHandler]:
    """Starlette's own errors (unknown path, wrong method, body too large) as `{"detail": ...}`."""
    return {HTTPException: http_error}
