"""One REST operation: its declaration (the source of routes and docs) and how it is served."""

from __future__ import annotations

import inspect
import re
import time
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from app.body_limit import BodyTooLarge
from app.metrics import outcome_of_status
from app.rest.errors import InvalidRequest, error_response, validation_issues
from app.transport.scope import open_scope

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from pydantic import BaseModel
    from starlette.requests import Request

    from app.runtime import Runtime

    Handler = Callable[..., Awaitable[BaseModel | Response | None]]

# What a body must be declared as (415 otherwise), as the OpenAPI document lists them.
JSON_MEDIA_TYPES = ("application/json",)
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True, slots=True)
class Operation:
    """A REST operation. The handler takes the request scope and, as declared, `path`, `query`
    and `body`. An operation that changes anything says so (`writes`): the others' unit of work
    refuses to write."""

    method: str
    path: str
    handler: Handler
    tag: str
    writes: bool = False
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
        return _without_convertors(self.path)

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
        """Serve the request, counted in the metrics with its outcome and duration."""
        started = time.perf_counter()
        runtime: Runtime = request.app.state.runtime
        try:
            response = await self._answer(request, runtime)
        except (HTTPException, BodyTooLarge) as error:
            self._measure(runtime, started, status=getattr(error, "status_code", 413))
            raise  # answered by Starlette, and by the body limit middleware with its 413
        self._measure(runtime, started, status=response.status_code)
        return response

    async def _answer(self, request: Request, runtime: Runtime) -> Response:
        """Read the inputs, run the handler in its own scope, and shape what it answers."""
        try:
            inputs = await self._inputs(request)
            async with open_scope(request, runtime, writes=self.writes) as scope:
                result = await self.handler(scope, **inputs)
        except (HTTPException, BodyTooLarge):
            raise
        except Exception as error:
            response, code = error_response(error, operation=self.name)
            runtime.metrics.errors_answered("rest", (code,))
            return response
        if isinstance(result, Response):
            return result
        if result is None:
            return Response(status_code=self.status)
        # pydantic writes the JSON itself, in one pass (JSONResponse would dump to a dict, then
        # encode that with the standard library): the same compact UTF-8 document.
        return Response(
            result.model_dump_json(), status_code=self.status, media_type="application/json"
        )

    def _measure(self, runtime: Runtime, started: float, *, status: int) -> None:
        elapsed = time.perf_counter() - started
        runtime.metrics.request_finished("rest", self.name, outcome_of_status(status), elapsed)

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


@cache
def _without_convertors(path: str) -> str:
    """Cached: every request's metrics name its operation by this template."""
    return re.sub(r"{(\w+):\w+}", r"{\1}", path)


async def _json_bytes(request: Request) -> bytes:
    """The body, if it is declared JSON (pydantic parses it)."""
    _require_media_type(request, JSON_MEDIA_TYPES)
    return await request.body()


def _require_media_type(request: Request, accepted: tuple[str, ...]) -> None:
    """415 unless the body is declared as one of `accepted`; a body declared as nothing too."""
    declared = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if declared not in accepted:
        raise HTTPException(415, f"The body must be sent as {' or '.join(accepted)}.")


async def _form_fields(request: Request) -> dict[str, Any]:
    """The fields of a urlencoded or multipart form; the last wins when a name repeats.

    A multipart form decodes with the charset its client names, and some charsets (utf-7,
    unicode_escape) make lone surrogates, which no UTF-8 consumer (argon2, SHA-256) takes.
    """
    _require_media_type(request, FORM_MEDIA_TYPES)
    try:
        async with request.form() as form:
            fields = dict(form)
    except HTTPException as error:
        if error.status_code != 400:
            raise
        raise InvalidRequest([_body_issue("form_invalid", error.detail)]) from None
    if not all(_is_text(name) and _is_text(value) for name, value in fields.items()):
        raise InvalidRequest([_body_issue("string_unicode", "The form holds invalid text.")])
    return fields


def _is_text(value: object) -> bool:
    """False for a string that UTF-8 cannot encode (one with lone surrogates)."""
    if not isinstance(value, str):
        return True  # an uploaded file: the model refuses it where it expects a string
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _body_issue(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "loc": ["body"], "msg": message}
