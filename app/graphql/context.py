"""Strawberry's context for one operation: a thin view of the request scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket

    from app.transport.scope import RequestScope, SocketScope


@dataclass(frozen=True, slots=True)
class Context:
    """Resolvers reach the viewer, the token, the unit of work and the loaders through `scope`."""

    request: Request
    response: Response
    scope: RequestScope


@dataclass(slots=True)
class LiveContext:
    """The context of a WebSocket connection's operations (all of them subscriptions).

    `connection_params` is the payload of its `connection_init` message, which Strawberry sets.
    """

    request: WebSocket
    scope: SocketScope
    connection_params: dict[str, object] = field(default_factory=dict)
    # Ends the connection when its token expires or is revoked (app.graphql.live).
    watch: asyncio.Task[None] | None = None
