"""The Strawberry schema and its ASGI view."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
import strawberry
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from app.graphql.context import Context
from app.graphql.errors import to_contract_error
from app.graphql.limits import query_limits
from app.graphql.mutations import Mutation
from app.graphql.queries import Query

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql import GraphQLError
    from starlette.requests import Request
    from starlette.responses import Response
    from strawberry.http import GraphQLHTTPResponse
    from strawberry.types import ExecutionContext, ExecutionResult

    from app.runtime import Runtime
    from app.settings import Settings


class ReferralSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Silenced: the view logs the unexpected ones, with the request id and no input."""


class ReadOnlyQueries(SchemaExtension):
    """Tells the request's context whether the operation only reads, before any resolver runs."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        context.read_only = self.execution_context.operation_type is OperationType.QUERY
        yield


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with its limits; `settings` turns production guards on."""
    introspection = settings.introspection_enabled if settings is not None else True
    extensions: list[Any] = [
        *query_limits(introspection=introspection),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        ReadOnlyQueries,
    ]
    return ReferralSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
    )


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context, a session per request and orjson encoding."""

    def __init__(self, schema: strawberry.Schema, runtime: Runtime) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if runtime.settings.graphiql_enabled else None,
            allow_queries_via_get=False,
        )
        self.runtime = runtime

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        context = Context(
            request=request,
            response=response,
            runtime=self.runtime,
        )
        request.state.graphql_context = context
        return context

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Run the operation, then close the request's database session whatever happened."""
        try:
            return await super().run(request, context, root_value)
        finally:
            graphql_context = getattr(request.state, "graphql_context", None)
            if graphql_context is not None:
                await graphql_context.close()

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
