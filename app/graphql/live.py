"""GraphQL over WebSocket at /graphql: subscriptions, with the graphql-transport-ws protocol.

Strawberry's ASGI view runs the protocol; this one authenticates each connection and keeps it
honest. The access token comes in `connection_init`'s payload as
`{"Authorization": "Bearer <accessToken>"}`, or else in the auth cookie of the handshake (only
from an origin CORS admits, since a browser sends cookies with any page's handshake); without
a valid one the socket is closed with 4403. A connection ends, closed with 4403 too, when its
token expires, and within `subscription_check_interval` seconds of its revocation (`logout`),
checked against the database as every HTTP request is. Only subscriptions run here; the legacy
`graphql-ws` protocol is not offered (such a client is closed with 4406).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING

import orjson
from graphql import GraphQLError
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.websocket_origin import is_same_origin
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage
from strawberry.types.unset import UNSET, UnsetType

from app.db import is_unavailable
from app.domain.clock import utcnow
from app.errors import DomainError, InvalidToken
from app.graphql.context import LiveContext
from app.graphql.error_codes import GraphQLCode
from app.transport.scope import SocketScope

if TYPE_CHECKING:
    from datetime import datetime

    import strawberry
    from starlette.types import Receive, Scope, Send
    from starlette.websockets import WebSocket
    from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
        ConnectionInitMessage,
        SubscribeMessage,
    )

    from app.runtime import Runtime

logger = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 10
FORBIDDEN = 4403  # graphql-transport-ws: the connection may not go on
TRY_AGAIN_LATER = 1013  # RFC 6455: the server cannot take the connection now
CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)
SUBSCRIPTION_LIMIT = (
    f"A connection holds at most {MAX_SUBSCRIPTIONS} subscriptions: complete one, or open "
    "another connection."
)


class Unavailable(Exception):
    """The database cannot be reached, so the connection's token cannot be checked."""


class LiveGraphQLApp(GraphQL[LiveContext, None]):
    """Strawberry's view for WebSocket connections only (GraphQLApp serves HTTP)."""

    def __init__(self, schema: strawberry.Schema, runtime: Runtime) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
            max_subscriptions_per_connection=None,  # TransportHandler answers the 11th
        )
        self.graphql_transport_ws_handler_class = TransportHandler
        self.runtime = runtime
        settings = runtime.settings
        self._cors_origins = frozenset(settings.cors_origins)
        self._cors_pattern = re.compile(settings.cors_origin_pattern or r"(?!)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket", "LiveGraphQLApp serves WebSocket connections"
        await super().__call__(scope, receive, send)

    def encode_json(self, data: object) -> str:  # type: ignore[override]
        """orjson, as the HTTP view answers; text frames, as graphql-transport-ws requires."""
        return orjson.dumps(data).decode()

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        """Any origin may connect: a token sent in `connection_init` is no ambient credential.
        The cookie is, so it is only read from origins CORS admits (`_cookie_token`)."""
        return True

    async def get_context(  # type: ignore[override]
        self, request: WebSocket, response: WebSocket
    ) -> LiveContext:
        return LiveContext(request=request, scope=SocketScope(request, self.runtime))

    async def on_ws_connect(self, context: LiveContext) -> UnsetType:
        """Authenticate the connection, then watch its token until the connection ends."""
        token = self._token(context)
        if token is None:
            raise ConnectionRejectionError
        scope = context.scope
        scope.present(token)
        try:
            viewer = await scope.viewer()
        except Exception as error:
            if is_unavailable(error):
                raise Unavailable from error
            raise
        if viewer is None:
            raise ConnectionRejectionError
        expires_at = self.runtime.tokens.decode(token).expires_at
        interval = self.runtime.settings.subscription_check_interval
        context.watch = asyncio.create_task(
            watch_token(context, expires_at=expires_at, interval=interval), name="token watch"
        )
        return UNSET

    def _token(self, context: LiveContext) -> str | None:
        """The payload's bearer token if it has an Authorization entry (then only that), else
        the cookie's, if the handshake's origin may use it."""
        params = context.connection_params
        header = params.get("Authorization", params.get("authorization"))
        if header is not None:
            scheme, _, token = str(header).partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None
            return token.strip()
        websocket = context.request
        cookie = websocket.cookies.get(self.runtime.settings.auth_cookie_name)
        if not cookie or not self._cookie_origin_allowed(websocket):
            return None
        return cookie

    def _cookie_origin_allowed(self, websocket: WebSocket) -> bool:
        """A browser's handshake names the page's origin: the same as ours, or one CORS lists
        (a cookie-authenticated request from anywhere else is cross-site request forgery).
        A client that sends no Origin is no browser, and its cookie is its own."""
        origin = websocket.headers.get("origin")
        if origin is None or is_same_origin(origin, websocket.headers.get("host")):
            return True
        return origin in self._cors_origins or self._cors_pattern.fullmatch(origin) is not None


class TransportHandler(BaseGraphQLTransportWSHandler[LiveContext, None]):
    """Strawberry's graphql-transport-ws handler, with the service's limits and clean-up."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except Unavailable:
            await self.websocket.close(TRY_AGAIN_LATER, "Service unavailable; try again shortly")

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """The 11th operation of a connection gets an `error` message; the others go on."""
        if (
            self.connection_acknowledged
            and message["id"] not in self.operations
            and len(self.operations) >= MAX_SUBSCRIPTIONS
        ):
            code = str(GraphQLCode.SUBSCRIPTION_LIMIT_REACHED)
            error = GraphQLError(SUBSCRIPTION_LIMIT, extensions={"code": code})
            await self.send_message(
                ErrorMessage(id=message["id"], type="error", payload=[error.formatted])
            )
            return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            watch = self.context.watch
            if watch is not None:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
            await self.context.scope.uow.close()


async def watch_token(context: LiveContext, *, expires_at: datetime, interval: float) -> None:
    """Close the connection with 4403 when its token expires, or when a check (every
    `interval` seconds) finds it revoked or its account gone or deactivated."""
    while True:
        remaining = (expires_at - utcnow()).total_seconds()
        if remaining <= 0:
            await _close(context, "Token expired")
            return
        await asyncio.sleep(min(interval, remaining))
        if expires_at > utcnow() and (reason := await _refusal(context)) is not None:
            await _close(context, reason)
            return


async def _refusal(context: LiveContext) -> str | None:
    """Why the token no longer admits the connection, or None while it does (also when the
    database cannot say: the next check asks again)."""
    scope = context.scope
    token = scope.access_token
    assert token is not None
    try:
        await scope.services.sessions.viewer(scope.uow, access_token=token)
    except InvalidToken as error:
        return f"Token {str(error.problem).lower()}"
    except DomainError:
        return "Forbidden"
    except Exception as error:  # the database is down, most likely: ask again next time
        logger.warning("a subscription's token could not be checked: %s", type(error).__name__)
    return None


async def _close(context: LiveContext, reason: str) -> None:
    with contextlib.suppress(RuntimeError):  # closed meanwhile
        await context.request.close(FORBIDDEN, reason)
