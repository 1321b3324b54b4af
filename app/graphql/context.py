"""Strawberry's context for one operation: a thin view of the request scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from app.transport.scope import RequestScope


@dataclass(frozen=True, slots=True)
class Context:
    """Resolvers reach the viewer, the token, the unit of work and the loaders through `scope`."""

    request: Request
    response: Response
    scope: RequestScope
