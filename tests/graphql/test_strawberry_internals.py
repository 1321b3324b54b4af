"""What app.graphql.strawberry_internals reaches inside Strawberry: fails loudly if it moves."""

from __future__ import annotations

from graphql import GraphQLSchema

from app.graphql.schema import build_schema
from app.graphql.strawberry_internals import graphql_core_schema


def test_the_graphql_core_schema_is_the_one_strawberry_executes() -> None:
    schema = build_schema()
    core = graphql_core_schema(schema)
    assert isinstance(core, GraphQLSchema)
    assert core.query_type is not None
    assert {"me", "codeByEmail", "referralsById"} <= set(core.query_type.fields)
    assert core.mutation_type is not None
    assert "register" in core.mutation_type.fields
