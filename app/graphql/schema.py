"""The Strawberry schema: its root types, its limits, and which operations may write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from app.errors import BadUserInput
from app.graphql.context import LiveContext
from app.graphql.documents import KnownDocuments, document_cache
from app.graphql.error_codes import GraphQLErrorCode
from app.graphql.errors import to_contract_error
from app.graphql.limits import query_limits
from app.graphql.mutations import Mutation
from app.graphql.operations import OperationLabels
from app.graphql.queries import Query
from app.graphql.scalars import SCALAR_OVERRIDES
from app.graphql.subscriptions import Subscription

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql import GraphQLError
    from strawberry.types import ExecutionContext, StreamExecutionResult

    from app.settings import Settings


OVER_WEBSOCKET = "Only subscriptions run over WebSocket; send queries and mutations by POST."
OVER_HTTP = "Subscriptions run over WebSocket at /graphql (graphql-transport-ws), not HTTP."


class ReferralSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Silenced: the view logs the unexpected ones, with the request id and no input."""


class OperationKnown(SchemaExtension):
    """Once the operation is known and valid, before any resolver runs: a mutation's unit of
    work may write, and a query's refuses to (GraphQL's own rule); and the operation's name
    for the metrics is noted (app.graphql.operations).

    Subscriptions run over WebSocket, and only they do: either elsewhere is BAD_USER_INPUT
    (the HTTP edge answers queries and mutations, with its limits, metrics and read-only
    queries; it streams nothing).

    One extension for both: Strawberry builds every extension's hooks anew for each request.
    """

    def __init__(self, labels: OperationLabels) -> None:
        super().__init__()
        self.labels = labels

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        live = isinstance(execution.context, LiveContext)
        subscription = execution.operation_type is OperationType.SUBSCRIPTION
        if live != subscription:
            raise BadUserInput(OVER_WEBSOCKET if live else OVER_HTTP)
        if execution.operation_type is OperationType.MUTATION:
            execution.context.scope.uow.permit_writes()
        self.labels.note(execution)
        yield


class StreamErrors(SchemaExtension):
    """Errors of the results a subscription streams leave with contract codes, as HTTP
    answers' do (GraphQLApp.process_result): WebSocket messages skip the HTTP view."""

    def __init__(self, *, hide_suggestions: bool) -> None:
        super().__init__()
        self.hide_suggestions = hide_suggestions

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        errors = getattr(result, "errors", None)
        if errors:
            before_execution = isinstance(result, PreExecutionError)
            result.errors = [  # type: ignore[union-attr]
                to_contract_error(
                    error, before_execution=before_execution, hide_suggestions=self.hide_suggestions
                )
                for error in errors
            ]
        yield


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with its limits; `settings` turns production guards on."""
    introspection = settings.introspection_enabled if settings is not None else True
    labels = OperationLabels(maxsize=512)
    extensions: list[Any] = [
        *query_limits(introspection=introspection),
        document_cache(KnownDocuments()),
        lambda: OperationKnown(labels),
        lambda: StreamErrors(hide_suggestions=not introspection),
    ]
    return ReferralSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[GraphQLErrorCode],
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,  # type: ignore[arg-type]
        config=StrawberryConfig(auto_camel_case=True),
    )
