"""Per-request GraphQL context: one database session, one set of DataLoaders, the viewer."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from app.db import close_session
from app.errors import DomainError, Unauthenticated
from app.graphql.loaders import Loaders
from app.rate_limits import client_of
from app.services import sessions
from app.transport_auth import bearer_or_cookie_token

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlmodel.ext.asyncio.session import AsyncSession
    from starlette.requests import Request
    from starlette.responses import Response

    from app.models import User
    from app.rate_limits import Action
    from app.runtime import Runtime


@dataclass
class Context:
    request: Request
    response: Response
    runtime: Runtime
    # Set once the operation is known (ReadOnlyQueries): a query's session opens no transaction.
    read_only: bool = False
    _session: AsyncSession | None = None
    _db_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _viewer_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _viewer: User | None = None
    _viewer_error: DomainError | None = None
    _viewer_resolved: bool = False
    _closed: bool = False

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The request's session, one user at a time: sibling resolvers run concurrently."""
        async with self._db_lock:
            if self._closed:
                raise RequestEnded
            if self._session is None:
                self._session = self.runtime.new_session(read_only=self.read_only)
            yield self._session

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.db)

    @property
    def access_token(self) -> str | None:
        return bearer_or_cookie_token(self.request, self.runtime.settings.auth_cookie_name)

    async def viewer(self) -> User | None:
        """The signed-in user, or None when no valid token came with the request.

        Sibling fields ask at the same time; the lock makes the first one resolve it for all.
        """
        async with self._viewer_lock:
            if not self._viewer_resolved:
                await self._resolve_viewer()
                self._viewer_resolved = True
        return self._viewer

    async def _resolve_viewer(self) -> None:
        token = self.access_token
        if token is None:
            return
        try:
            async with self.db() as session:
                self._viewer = await sessions.authenticate(
                    session, self.runtime, access_token=token
                )
        except DomainError as error:
            self._viewer_error = error

    async def require_viewer(self) -> User:
        """The signed-in user; UNAUTHENTICATED (or FORBIDDEN when inactive) otherwise."""
        viewer = await self.viewer()
        if viewer is None:
            raise self._viewer_error or Unauthenticated
        return viewer

    async def count_attempt(self, action: Action, *, account: str | None = None) -> None:
        """Count one attempt of this request's client (each alias is one); RATE_LIMITED if over."""
        await self.runtime.limiter.hit(action, client=client_of(self.request), account=account)

    async def close(self) -> None:
        """Close the session once no resolver is using it, whatever became of the database.

        An error in a non-null field ends the operation while its siblings may still be loading;
        those finish first, and any that come later stop at `db()` (their results are dropped).
        """
        async with self._db_lock:
            self._closed = True
            if self._session is not None:
                await close_session(self._session)


class RequestEnded(Exception):
    """A resolver orphaned by an error asked for the session after the response was made."""
