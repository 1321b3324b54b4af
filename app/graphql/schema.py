"""The Strawberry schema: its root types, its limits, and which operations may write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types.graphql import OperationType

from app.graphql.documents import KnownDocuments, document_cache
from app.graphql.error_codes import GraphQLErrorCode
from app.graphql.limits import query_limits
from app.graphql.mutations import Mutation
from app.graphql.queries import Query
from app.graphql.scalars import SCALAR_OVERRIDES

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql import GraphQLError
    from strawberry.types import ExecutionContext

    from app.settings import Settings


class ReferralSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Silenced: the view logs the unexpected ones, with the request id and no input."""


class MutationsWrite(SchemaExtension):
    """A mutation's unit of work may write; a query's refuses to (GraphQL's own rule).

    Granted once the operation is known, before any resolver runs.
    """

    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is OperationType.MUTATION:
            self.execution_context.context.scope.uow.permit_writes()
        yield


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with its limits; `settings` turns production guards on."""
    introspection = settings.introspection_enabled if settings is not None else True
    extensions: list[Any] = [
        *query_limits(introspection=introspection),
        document_cache(KnownDocuments()),
        MutationsWrite,
    ]
    return ReferralSchema(
        query=Query,
        mutation=Mutation,
        types=[GraphQLErrorCode],
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,  # type: ignore[arg-type]
        config=StrawberryConfig(auto_camel_case=True),
    )
