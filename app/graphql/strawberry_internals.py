"""What we need of Strawberry that it offers no public way to reach, in one place.

tests/graphql/test_strawberry_internals.py fails loudly when a Strawberry release changes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import strawberry
    from graphql import GraphQLSchema
    from strawberry.types import ExecutionContext


def graphql_core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema a Strawberry schema executes (validation rules need it)."""
    return schema._schema


def provided_operation_name(context: ExecutionContext) -> str | None:
    """The operationName the request gave; Strawberry's `operation_name` falls back to the
    first operation's, where GraphQL requires a name to choose among several."""
    return context._provided_operation_name  # type: ignore[attr-defined,no-any-return]
