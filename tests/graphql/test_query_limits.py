"""Documents too deep, too wide, too long or too costly are refused before any resolver runs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from graphql import get_introspection_query, parse

from app.graphql.limits import MAX_ALIASES, MAX_COST, MAX_DEPTH, most_expensive_operation
from app.graphql.schema import build_schema
from app.main import create_app
from tests.api import PASSWORD, Api, unique_email
from tests.conftest import make_settings, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

REGISTER_NESTED = "mutation R($input: RegisterInput!) {{ register(input: $input) {{ {body} }} }}"


def nested_referrers(levels: int) -> str:
    """`referrer { referrer { ... id } }`, `levels` deep below `register`."""
    return "referrer { " * levels + "id" + " }" * levels


def cost_of(query: str) -> int:
    return most_expensive_operation(build_schema()._schema, parse(query))


async def is_registered(api: Api, email: str) -> bool:
    """Whether the email is taken, found by trying to register it (CONFLICT when taken)."""
    variables = {"input": {"email": email, "password": PASSWORD}}
    body = await api.post_graphql(REGISTER_NESTED.format(body="id"), variables)
    if body.get("errors"):
        assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
        return True
    return False


async def test_depth_of_ten_is_served(api: Api) -> None:
    # Depth counts from 0 at `register`: nine referrers and their id reach depth ten.
    query = REGISTER_NESTED.format(body=nested_referrers(MAX_DEPTH - 1))
    body = await api.post_graphql(query, {"input": {"email": unique_email(), "password": PASSWORD}})
    assert "errors" not in body


async def test_depth_of_eleven_is_rejected_before_any_resolver_runs(api: Api) -> None:
    email = unique_email()
    query = REGISTER_NESTED.format(body=nested_referrers(MAX_DEPTH))
    body = await api.post_graphql(query, {"input": {"email": email, "password": PASSWORD}})
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == [
        "GRAPHQL_VALIDATION_FAILED"
    ]
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert not await is_registered(api, email)


def aliased_registrations(count: int) -> tuple[str, dict[str, Any]]:
    fields = " ".join(f"r{index}: register(input: $input) {{ id }}" for index in range(count))
    return f"mutation R($input: RegisterInput!) {{ {fields} }}", {
        "input": {"email": unique_email(), "password": PASSWORD}
    }


async def test_fifteen_aliases_are_served(api: Api) -> None:
    query = "{ " + " ".join(f"a{index}: __typename" for index in range(MAX_ALIASES)) + " }"
    assert await api.gql(query) == {f"a{index}": "Query" for index in range(MAX_ALIASES)}


async def test_sixteen_aliases_are_rejected_before_any_resolver_runs(api: Api) -> None:
    query, variables = aliased_registrations(MAX_ALIASES + 1)
    body = await api.post_graphql(query, variables)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "aliases" in body["errors"][0]["message"]
    assert not await is_registered(api, variables["input"]["email"])


async def test_aliases_hidden_in_fragments_are_counted(api: Api) -> None:
    aliases = " ".join(f"a{index}: id" for index in range(8))
    query = f"query {{ me {{ ...A ...B }} }} fragment A on User {{ {aliases} }} " + (
        f"fragment B on User {{ {aliases.replace('a', 'b')} }}"
    )
    assert await api.error_code(query) == "GRAPHQL_VALIDATION_FAILED"


async def test_more_than_a_thousand_tokens_are_rejected(api: Api) -> None:
    # Comments count too; a thousand same-named fields would trip graphql-core's recursion guard.
    under = "{ __typename }" + "\n# filler" * 990
    assert await api.gql(under) == {"__typename": "Query"}
    body = await api.post_graphql("{ " + "__typename " * 1000 + "}")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "tokens" in body["errors"][0]["message"]


def test_cost_multiplies_by_first_and_counts_every_selection() -> None:
    # referralsById, edges, node, id: 1 + 1 + first * (1 + 1 + 1), with first = 10.
    page = "{ referralsById(id: 1, first: 10) { edges { node { id } } } }"
    assert cost_of(page) == 1 + 10 * (1 + 1 + 1)
    # An absent `first` is the schema's default (50); a variable, the largest page (100).
    assert cost_of("{ referralsById(id: 1) { totalCount } }") == 1 + 50
    assert cost_of("query Q($n: Int!) { referralsById(id: 1, first: $n) { totalCount } }") == 101


def test_cost_expands_fragments_and_spreads() -> None:
    query = "{ me { ...F ...F } } fragment F on User { id email }"
    assert cost_of(query) == 1 + 2 * (1 + 2)


async def test_nested_pages_over_the_cost_limit_are_rejected(api: Api) -> None:
    query = """query R($id: ID!) {
      referralsById(id: $id, first: 100) {
        edges { node { referrals(first: 100) { edges { node { id } } } } }
      }
    }"""
    assert cost_of(query) > MAX_COST
    body = await api.post_graphql(query, {"id": "1"})
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert f"limit of {MAX_COST}" in body["errors"][0]["message"]


async def test_a_full_page_of_referrals_is_within_the_cost_limit(api: Api) -> None:
    user, _ = await api.signed_up()
    query = """query R($id: ID!) {
      referralsById(id: $id, first: 100) {
        totalCount
        edges { cursor node { id email createdAt isVerified referrer { id }
                              referralCode { code expiresAt createdAt } } }
        pageInfo { hasNextPage endCursor }
      }
    }"""
    assert cost_of(query) <= MAX_COST
    data = await api.gql(query, {"id": user["id"]})
    assert data["referralsById"]["totalCount"] == 0


async def test_fragments_that_fan_out_are_rejected_quickly(api: Api) -> None:
    # Each fragment spreads the next twice: 2**24 expansions in a few hundred tokens, which
    # Strawberry's depth and alias limiters alone would walk one by one for seconds.
    levels = 24
    fragments = " ".join(
        f"fragment F{n} on User {{ ...F{n + 1} ...F{n + 1} }}" for n in range(levels)
    )
    query = f"{{ me {{ ...F0 }} }} {fragments} fragment F{levels} on User {{ id }}"
    started = time.monotonic()
    assert await api.error_code(query) == "GRAPHQL_VALIDATION_FAILED"
    assert time.monotonic() - started < 1.0


async def test_the_introspection_query_of_graphiql_and_codegen_is_within_the_limits(
    api: Api,
) -> None:
    options = ("specified_by_url", "directive_is_repeatable", "schema_description")
    full = get_introspection_query(
        descriptions=True, input_value_deprecation=True, **dict.fromkeys(options, True)
    )
    data = await api.gql(full)
    assert data["__schema"]["queryType"] == {"name": "Query", "kind": "OBJECT"}


async def test_batched_operations_are_refused(api: Api) -> None:
    response = await api.http.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
    assert response.status_code == 400


@pytest.fixture
async def production_api(backend: dict[str, Any]) -> AsyncIterator[Api]:
    settings = make_settings(backend, app_env="production")
    async with running(create_app(settings)) as app, Api.connect(app) as client:
        yield client


async def test_field_suggestions_are_shown_in_development(api: Api) -> None:
    body = await api.post_graphql("{ mee { id } }")
    assert "Did you mean 'me'?" in body["errors"][0]["message"]


async def test_field_suggestions_are_hidden_in_production(production_api: Api) -> None:
    body = await production_api.post_graphql("{ mee { id } }")
    assert body["errors"][0]["message"] == "Cannot query field 'mee' on type 'Query'."
    body = await production_api.post_graphql(
        "query Q($input: LoginInput!) { __typename }", {"input": {"emial": "x", "password": "y"}}
    )
    assert "Did you mean" not in str(body)


async def test_introspection_is_off_in_production(production_api: Api) -> None:
    body = await production_api.post_graphql("{ __schema { queryType { name } } }")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection" in body["errors"][0]["message"]
    assert await production_api.gql("{ __typename }") == {"__typename": "Query"}


async def test_graphiql_is_off_in_production(production_api: Api) -> None:
    response = await production_api.http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 404


@pytest.mark.parametrize("app_env", ["development", "production"])
async def test_introspection_and_graphiql_follow_their_settings(
    backend: dict[str, Any], app_env: str
) -> None:
    for enabled in (True, False):
        settings = make_settings(backend, app_env=app_env, introspection=enabled, graphiql=enabled)
        async with running(create_app(settings)) as app, Api.connect(app) as client:
            body = await client.post_graphql("{ __schema { queryType { name } } }")
            assert ("errors" not in body) is enabled
            page = await client.http.get("/graphql", headers={"accept": "text/html"})
            assert (page.status_code == 200) is enabled
