"""The ASGI view of /graphql: a request scope per operation, contract errors, orjson bodies."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET

from app.db import is_unavailable
from app.errors import BadUserInput, ErrorCode, ServiceUnavailable
from app.graphql.context import Context
from app.graphql.error_codes import GraphQLCode
from app.graphql.errors import is_request_error, to_contract_error
from app.graphql.http import (
    GRAPHQL_RESPONSE,
    negotiate,
    persisted_query_not_found,
    request_error_status,
    unreadable_request,
)
from app.graphql.ide import graphiql_response
from app.graphql.operations import UNKNOWN
from app.graphql.persisted import PersistedQueries, PersistedQueryNotFound
from app.metrics import outcome_of_codes
from app.transport.scope import RequestScope

if TYPE_CHECKING:
    import strawberry
    from cross_web import AsyncHTTPRequestAdapter
    from starlette.requests import Request
    from starlette.responses import HTMLResponse
    from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
    from strawberry.http.base import BaseRequestProtocol
    from strawberry.types import ExecutionResult

    from app.errors import DomainError
    from app.runtime import Runtime


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view, with our context over a request scope."""

    def __init__(self, schema: strawberry.Schema, runtime: Runtime) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if runtime.settings.graphiql_enabled else None,
            allow_queries_via_get=True,
        )
        self.runtime = runtime
        self.persisted = PersistedQueries(runtime.cache)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """GraphiQL for a browser's GET that carries no operation (a persisted query's GET
        carries only its hash, in `extensions`)."""
        return (
            request.method == "GET"
            and request.query_params.get("query") is None
            and request.query_params.get("extensions") is None
            and "text/html" in request.headers.get("accept", "")
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """Our GraphiQL page (app.graphql.ide) instead of Strawberry's."""
        return graphiql_response(request)

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        # Read-only until the operation turns out to be a mutation (schema.OperationKnown).
        scope = RequestScope(request, self.runtime, writes=False)
        request.state.scope = scope
        request.state.sub_response = response
        return Context(request=request, response=response, scope=scope)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request's operation, its query looked up by hash when it is a persisted one."""
        data = await super().parse_http_body(request)
        if isinstance(data, list):
            return data  # refused as a batch by Strawberry before it gets here
        try:
            return await self.persisted.resolve(data)
        except BadUserInput as error:
            raise HTTPException(400, error.detail()) from error

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Run the operation, then close its scope whatever happened, and count it.

        A request the view cannot serve (not JSON, no query, a mutation over GET) answers its
        4xx as a GraphQL error in JSON, like every other answer.
        """
        started = time.perf_counter()
        try:
            return await super().run(request, context, root_value)
        except HTTPException as error:
            self._count_errors(request, [ErrorCode.BAD_USER_INPUT])
            return unreadable_request(request, error)
        except PersistedQueryNotFound:
            self._count_errors(request, [GraphQLCode.PERSISTED_QUERY_NOT_FOUND])
            return persisted_query_not_found(request)
        finally:
            scope: RequestScope | None = getattr(request.state, "scope", None)
            if scope is not None:
                await scope.uow.close()
            self._measure(request, started)

    def _count_errors(self, request: Request, codes: list[str]) -> None:
        """The answer's errors in the metrics; its outcome noted for `_measure`."""
        self.runtime.metrics.errors_answered("graphql", codes)
        request.state.graphql_outcome = outcome_of_codes(codes)

    def _measure(self, request: Request, started: float) -> None:
        """The request in the metrics under the label schema.OperationKnown noted, if it was
        an operation: the GraphiQL page is not one."""
        outcome = getattr(request.state, "graphql_outcome", None)
        if outcome is not None:
            operation = getattr(request.state, "graphql_operation", UNKNOWN)
            elapsed = time.perf_counter() - started
            self.runtime.metrics.request_finished("graphql", operation, outcome, elapsed)

    async def execute_single(  # type: ignore[override]
        self, request: Request, context: Context, **arguments: Any
    ) -> ExecutionResult:
        """Refuse a request whose bearer token is bad before anything runs (RFC 6750), or that
        cannot be authenticated because the database is unreachable (SERVICE_UNAVAILABLE)."""
        refused: DomainError | None
        try:
            refused = await context.scope.refused_bearer()
        except Exception as error:
            if not is_unavailable(error):
                raise
            refused = ServiceUnavailable()
        if refused is not None:
            return PreExecutionError(data=None, errors=[GraphQLError("", original_error=refused)])
        try:
            return await super().execute_single(request=request, context=context, **arguments)
        except HTTPException as error:
            if request.method == "GET" and isinstance(error.__cause__, InvalidOperationTypeError):
                raise HTTPException(
                    405, "Only queries run over GET; send mutations by POST."
                ) from error
            raise

    def decode_json(self, data: str | bytes) -> object:
        """orjson, which refuses what could not be written back or would exhaust the stack:
        lone surrogates (json.loads keeps them, and the answer that echoes them fails to
        encode) and nesting past 1024 levels (json.loads recurses into a RecursionError).

        A request body (bytes; the `variables` and `extensions` of a GET arrive as str) must be
        an object, or a list for a batch: Strawberry reads any other JSON value as an object
        and fails with a 500."""
        decoded = orjson.loads(data)
        if isinstance(data, bytes) and not isinstance(decoded, dict | list):
            raise HTTPException(400, 'The request body must be a JSON object: {"query": "..."}.')
        return decoded

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Every error leaves with a contract code, whichever stage raised it; a request that
        never ran (it could not be parsed, validated or authenticated) answers no `data`."""
        if result.errors:
            before_execution = isinstance(result, PreExecutionError)
            hide_suggestions = not self.runtime.settings.introspection_enabled
            result.errors = [
                to_contract_error(
                    error, before_execution=before_execution, hide_suggestions=hide_suggestions
                )
                for error in result.errors
            ]
        codes = [str((error.extensions or {}).get("code")) for error in result.errors or ()]
        self._count_errors(request, codes)
        processed = await super().process_result(request, result)
        media_type = negotiate(request.headers.get("accept"))
        response: Response = request.state.sub_response
        response.headers["content-type"] = media_type
        if media_type == GRAPHQL_RESPONSE and is_request_error(result):
            processed.pop("data", None)
            response.status_code = request_error_status(processed)
            if response.status_code == 401:
                response.headers["www-authenticate"] = 'Bearer error="invalid_token"'
        return processed

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        """The answer in the media type and with the status that process_result chose."""
        return Response(
            self.encode_json(response_data),
            status_code=sub_response.status_code or 200,
            headers=dict(sub_response.headers),
            background=sub_response.background,
        )

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        return orjson.dumps(data)
