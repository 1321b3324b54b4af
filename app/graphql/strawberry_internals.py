"""What we need of Strawberry that it offers no public way to reach, in one place.

tests/graphql/test_strawberry_internals.py fails loudly when a Strawberry release changes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import strawberry
    from graphql import GraphQLSchema


def graphql_core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema a Strawberry schema executes (validation rules need it)."""
    return schema._schema
