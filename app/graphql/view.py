"""The ASGI view of /graphql: a request scope per operation, contract errors, orjson bodies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from strawberry.asgi import GraphQL
from strawberry.types.unset import UNSET

from app.graphql.context import Context
from app.graphql.errors import to_contract_error
from app.graphql.ide import graphiql_response
from app.transport.scope import RequestScope

if TYPE_CHECKING:
    import strawberry
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response
    from strawberry.http import GraphQLHTTPResponse
    from strawberry.types import ExecutionResult

    from app.runtime import Runtime


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view, with our context over a request scope."""

    def __init__(self, schema: strawberry.Schema, runtime: Runtime) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if runtime.settings.graphiql_enabled else None,
            allow_queries_via_get=False,
        )
        self.runtime = runtime

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """Our GraphiQL page (app.graphql.ide) instead of Strawberry's."""
        return graphiql_response(request)

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        # Read-only until the operation turns out to be a mutation (schema.MutationsWrite).
        scope = RequestScope(request, self.runtime, writes=False)
        request.state.scope = scope
        return Context(request=request, response=response, scope=scope)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Run the operation, then close its scope whatever happened."""
        try:
            return await super().run(request, context, root_value)
        finally:
            scope: RequestScope | None = getattr(request.state, "scope", None)
            if scope is not None:
                await scope.uow.close()

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Every error leaves with a contract code, whichever stage raised it."""
        if result.errors:
            hide_suggestions = not self.runtime.settings.introspection_enabled
            result.errors = [
                to_contract_error(error, hide_suggestions=hide_suggestions)
                for error in result.errors
            ]
        return await super().process_result(request, result)

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        return orjson.dumps(data)
