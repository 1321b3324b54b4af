"""One request as both transports see it: who is asking, with which token, on which unit of work.

The GraphQL context and the REST call are thin views of a RequestScope; either edge opens one
per request and closes it when the answer is made (`open_scope`).
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from app.errors import DomainError, Unauthenticated
from app.transport.loaders import Loaders
from app.uow import UnitOfWork

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import HTTPConnection

    from app.models import User
    from app.rate_limits import Action
    from app.runtime import Runtime


class RequestScope:
    """The request's viewer, token, unit of work and loaders."""

    def __init__(self, connection: HTTPConnection, runtime: Runtime, *, writes: bool) -> None:
        self.connection = connection
        self.runtime = runtime
        self.services = runtime.services
        self.uow = UnitOfWork(runtime.database, writes=writes)
        self._viewer_lock = asyncio.Lock()
        self._viewer_resolved = False
        self._viewer: User | None = None
        self._viewer_error: DomainError | None = None

    @cached_property
    def bearer_token(self) -> str | None:
        """The token of an `Authorization: Bearer` header, or None."""
        header = self.connection.headers.get("authorization")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        return None

    @cached_property
    def access_token(self) -> str | None:
        """The bearer token if one is sent, else the auth cookie's; None when neither came."""
        cookie = self.connection.cookies.get(self.runtime.settings.auth_cookie_name)
        return self.bearer_token or cookie or None

    def require_access_token(self) -> str:
        """The access token; UNAUTHENTICATED when none came with the request."""
        if self.access_token is None:
            raise Unauthenticated
        return self.access_token

    async def viewer(self) -> User | None:
        """The signed-in user, or None when no valid token came with the request.

        Resolved once: concurrent resolvers asking at the same time wait for the first. The
        lock cannot deadlock: resolving the viewer never waits for the viewer.
        """
        async with self._viewer_lock:
            if not self._viewer_resolved:
                await self._resolve_viewer()
                self._viewer_resolved = True
        return self._viewer

    async def require_viewer(self) -> User:
        """The signed-in user; UNAUTHENTICATED (or FORBIDDEN when inactive) otherwise."""
        viewer = await self.viewer()
        if viewer is None:
            raise self._viewer_error or Unauthenticated
        return viewer

    async def refused_bearer(self) -> DomainError | None:
        """Why the request's bearer token is refused, if it carries one that is (RFC 6750: such
        a request is refused whatever it asks for, never served as anonymous); else None."""
        if self.bearer_token is None:
            return None
        await self.viewer()
        return self._viewer_error if isinstance(self._viewer_error, Unauthenticated) else None

    @cached_property
    def loaders(self) -> Loaders:
        """The request's DataLoaders: a page of users costs a constant number of queries."""
        return Loaders(self.services, self.uow)

    def forget_reads(self) -> None:
        """Drop what the loaders have cached, so that what is resolved next is read afresh."""
        self.__dict__.pop("loaders", None)

    @property
    def client(self) -> str | None:
        """The client's address (uvicorn has applied trusted X-Forwarded-For)."""
        return self.connection.client.host if self.connection.client else None

    async def count_attempt(
        self, action: Action, *, account: str | None = None, cost: int = 1
    ) -> None:
        """Count an attempt of this client (each alias is one); RATE_LIMITED when over."""
        await self.runtime.limiter.hit(action, client=self.client, account=account, cost=cost)

    async def _resolve_viewer(self) -> None:
        token = self.access_token
        if token is None:
            return
        try:
            self._viewer = await self.services.sessions.viewer(self.uow, access_token=token)
        except DomainError as error:
            self._viewer_error = error


class SocketScope(RequestScope):
    """The scope of one WebSocket connection, for as long as it is open.

    Its token is the one the connection presented when it started (`present`), not a header of
    each request: the handshake carries no Authorization header that browsers could set.
    """

    def __init__(self, connection: HTTPConnection, runtime: Runtime) -> None:
        super().__init__(connection, runtime, writes=False)
        self._token: str | None = None

    def present(self, token: str) -> None:
        """The token this connection authenticates with; before the viewer is first asked."""
        self._token = token

    @property
    def bearer_token(self) -> str | None:  # type: ignore[override]
        return self._token

    @property
    def access_token(self) -> str | None:  # type: ignore[override]
        return self._token


@asynccontextmanager
async def open_scope(
    connection: HTTPConnection, runtime: Runtime, *, writes: bool
) -> AsyncIterator[RequestScope]:
    """A request's scope, closed (its unit of work with it) when the block ends."""
    scope = RequestScope(connection, runtime, writes=writes)
    try:
        yield scope
    finally:
        await scope.uow.close()
