"""One REST operation: its declaration (the source of routes and docs) and how it is served."""

from __future__ import annotations

import inspect
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.body_limit import BodyTooLarge
from app.db import close_session
from app.errors import Unauthenticated
from app.rate_limits import client_of
from app.rest.errors import InvalidRequest, error_response, validation_issues
from app.services import sessions
from app.transport_auth import bearer_or_cookie_token

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

    from pydantic import BaseModel
    from sqlmodel.ext.asyncio.session import AsyncSession
    from starlette.requests import Request

    from app.models import User
    from app.rate_limits import Action
    from app.runtime import Runtime

    Handler = Callable[..., Awaitable[BaseModel | Response | None]]


@dataclass(slots=True)
class Call:
    """What a handler gets besides its inputs: the request, the shared clients and a session.

    The session is created on first use and closed with the call, so that a request answered
    from the cache never creates one. A read-only call's session opens no transaction.
    """

    request: Request
    runtime: Runtime
    read_only: bool = False
    _session: AsyncSession | None = field(default=None, init=False)

    @property
    def session(self) -> AsyncSession:
        """The request's database session, created on its first use."""
        if self._session is None:
            self._session = self.runtime.new_session(read_only=self.read_only)
        return self._session

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The session as a SessionScope, for services that use it only when they need it."""
        yield self.session

    async def __aenter__(self) -> Call:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the session if it was created, whatever became of the database."""
        if self._session is not None:
            await close_session(self._session)

    def access_token(self) -> str:
        """The bearer token or the auth cookie's; UNAUTHENTICATED when neither came."""
        token = bearer_or_cookie_token(self.request, self.runtime.settings.auth_cookie_name)
        if token is None:
            raise Unauthenticated
        return token

    async def count_attempt(self, action: Action, *, account: str | None = None) -> None:
        """Count one attempt of this request's client, as GraphQL does; RATE_LIMITED if over."""
        await self.runtime.limiter.hit(action, client=client_of(self.request), account=account)

    async def viewer(self) -> User:
        """The signed-in user; UNAUTHENTICATED (or FORBIDDEN when inactive) otherwise."""
        return await sessions.authenticate(
            self.session, self.runtime, access_token=self.access_token()
        )


@dataclass(frozen=True, slots=True)
class Operation:
    """A REST operation. The handler takes `call` and, as declared, `path`, `query`, `body`."""

    method: str
    path: str
    handler: Handler
    tag: str
    status: int = 200
    path_params: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_format: Literal["json", "form"] = "json"
    response: type[BaseModel] | None = None
    secured: bool = False
    errors: tuple[int, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # success headers, for the docs

    @property
    def template(self) -> str:
        """The path as OpenAPI writes it: `{email}` for Starlette's `{email:path}`."""
        return re.sub(r"{(\w+):\w+}", r"{\1}", self.path)

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def summary(self) -> str:
        """The first line of the handler's docstring."""
        return (inspect.getdoc(self.handler) or "").partition("\n")[0]

    def route(self) -> Route:
        """The Starlette route that serves this operation."""
        return Route(
            self.path,
            self.serve,
            methods=[self.method],
            name=self.handler.__name__,
        )

    async def serve(self, request: Request) -> Response:
        """Read the inputs, run the handler with its own session, and shape what it answers."""
        try:
            inputs = await self._inputs(request)
            runtime = request.app.state.runtime
            async with Call(request, runtime, read_only=self.method == "GET") as call:
                result = await self.handler(call, **inputs)
        except (HTTPException, BodyTooLarge):
            raise  # answered by Starlette, and by the body limit middleware with its 413
        except Exception as error:
            return error_response(error, operation=self.name)
        if isinstance(result, Response):
            return result
        if result is None:
            return Response(status_code=self.status)
        return JSONResponse(result.model_dump(mode="json"), status_code=self.status)

    async def _inputs(self, request: Request) -> dict[str, BaseModel]:
        """The declared models, all read before answering, so that one 422 lists every problem."""
        inputs: dict[str, BaseModel] = {}
        issues: list[dict[str, Any]] = []
        for source, model in (
            ("path", self.path_params),
            ("query", self.query),
            ("body", self.body),
        ):
            if model is None:
                continue
            try:
                inputs[source] = await self._parse(request, source, model)
            except ValidationError as error:
                issues += validation_issues(error.errors(include_url=False), source=source)
            except InvalidRequest as error:
                issues += error.issues
        if issues:
            raise InvalidRequest(issues)
        return inputs

    async def _parse(self, request: Request, source: str, model: type[BaseModel]) -> BaseModel:
        if source == "path":
            return model.model_validate(request.path_params)
        if source == "query":
            return model.model_validate(dict(request.query_params))
        if self.body_format == "form":
            return model.model_validate(await _form_fields(request))
        return model.model_validate_json(await _json_bytes(request))


async def _json_bytes(request: Request) -> bytes:
    """The body, if it is declared JSON or not declared at all (pydantic parses it)."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type and content_type != "application/json" and not content_type.endswith("+json"):
        raise InvalidRequest([_body_issue("json_type", "The body must be JSON.")])
    return await request.body()


async def _form_fields(request: Request) -> dict[str, Any]:
    """The fields of a urlencoded or multipart form; the last wins when a name repeats."""
    try:
        async with request.form() as form:
            return dict(form)
    except HTTPException as error:
        if error.status_code != 400:
            raise
        raise InvalidRequest([_body_issue("form_invalid", error.detail)]) from None


def _body_issue(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "loc": ["body"], "msg": message}
