"""GraphQL operations in /metrics: named by type and root field, never by the client's words."""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING

from app.services.codes import Codes
from tests.api import LOGIN, PASSWORD, Api, unique_email
from tests.metrics import scrape

if TYPE_CHECKING:
    import pytest

ERRORS = "referrals_errors_total"
CACHE = "referrals_code_cache_lookups_total"
CLIENT_WORDS = "ClientChosenName"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_an_operation_counts_by_type_and_root_field_not_its_name_or_aliases(
    api: Api,
) -> None:
    user, token = await api.signed_up()
    await api.create_code(token)
    query = f"query {CLIENT_WORDS}($e: String!) {{ myAlias: codeByEmail(email: $e) {{ code }} }}"
    before = await scrape(api.http)
    for _ in range(2):
        await api.gql(query, {"e": user["email"]})
    after = await scrape(api.http)
    changed = after.minus(before)
    assert changed.requests("graphql", "query codeByEmail") == 2
    assert changed.value(CACHE, lookup="by_email", result="miss") == 1
    assert changed.value(CACHE, lookup="by_email", result="hit") == 1
    for words in (CLIENT_WORDS, "myAlias", user["email"]):
        assert words not in after.text


async def test_queries_over_get_and_fragments_count_the_same(api: Api) -> None:
    query = """
    query($e: String!) { ...Lookup }
    fragment Lookup on Query { codeByEmail(email: $e) { code } }
    """
    before = await scrape(api.http)
    response = await api.http.get(
        "/graphql", params={"query": query, "variables": f'{{"e": "{unique_email()}"}}'}
    )
    assert response.status_code == 200
    assert "errors" not in response.json()
    changed = (await scrape(api.http)).minus(before)
    assert changed.requests("graphql", "query codeByEmail") == 1


async def test_several_root_fields_count_as_one_operation_of_several(api: Api) -> None:
    _, token = await api.signed_up()
    query = "query($e: String!) { me { id } codeByEmail(email: $e) { code } __typename }"
    before = await scrape(api.http)
    await api.gql(query, {"e": unique_email()}, token=token)
    changed = (await scrape(api.http)).minus(before)
    assert changed.requests("graphql", "query <multiple>") == 1


async def test_a_refused_mutation_counts_its_error_code_and_a_client_error(api: Api) -> None:
    before = await scrape(api.http)
    variables = {"input": {"email": unique_email(), "password": PASSWORD}}
    assert await api.error_code(LOGIN, variables) == "UNAUTHENTICATED"
    changed = (await scrape(api.http)).minus(before)
    assert changed.requests("graphql", "mutation login", "client_error") == 1
    assert changed.value(ERRORS, transport="graphql", code="UNAUTHENTICATED") == 1


async def test_documents_that_never_ran_count_as_unknown_with_their_codes(api: Api) -> None:
    before = await scrape(api.http)
    await api.post_graphql("{ codeByEmail(email: ")
    await api.post_graphql(f"{{ {CLIENT_WORDS} }}")
    unreadable = await api.http.post(
        "/graphql", content=b"not json", headers={"content-type": "application/json"}
    )
    assert unreadable.status_code == 400
    after = await scrape(api.http)
    changed = after.minus(before)
    assert changed.requests("graphql", "<unknown>", "client_error") == 3
    assert changed.value(ERRORS, transport="graphql", code="GRAPHQL_PARSE_FAILED") == 1
    assert changed.value(ERRORS, transport="graphql", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert changed.value(ERRORS, transport="graphql", code="BAD_USER_INPUT") == 1
    assert CLIENT_WORDS not in after.text


async def test_an_unexpected_failure_counts_as_a_server_error(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database said no")

    monkeypatch.setattr(Codes, "active_by_email", broken)
    before = await scrape(api.http)
    query = "query($e: String!) { codeByEmail(email: $e) { code } }"
    body = await api.post_graphql(query, {"e": unique_email()})
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    changed = (await scrape(api.http)).minus(before)
    assert changed.requests("graphql", "query codeByEmail", "server_error") == 1
    assert changed.value(ERRORS, transport="graphql", code="INTERNAL_SERVER_ERROR") == 1


async def test_the_graphiql_page_is_not_an_operation(api: Api) -> None:
    before = await scrape(api.http)
    page = await api.http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    changed = (await scrape(api.http)).minus(before)
    assert changed.labels_of("referrals_request_duration_seconds_count") == []


async def test_one_document_counts_each_operation_it_runs_under_its_own_root_field(
    api: Api,
) -> None:
    _, token = await api.signed_up()
    document = (
        "query Mine { me { id } } query Theirs($e: String!) { codeByEmail(email: $e) { code } }"
    )
    before = await scrape(api.http)
    for name in ("Mine", "Theirs", "Mine"):
        response = await api.http.post(
            "/graphql",
            json={"query": document, "variables": {"e": unique_email()}, "operationName": name},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert "errors" not in response.json()
    changed = (await scrape(api.http)).minus(before)
    assert changed.requests("graphql", "query me") == 2
    assert changed.requests("graphql", "query codeByEmail") == 1


async def test_persisted_queries_count_under_their_root_field_once_known(api: Api) -> None:
    name = f"Lookup{uuid.uuid4().hex}"  # a query no earlier test made known
    query = f"query {name}($e: String!) {{ codeByEmail(email: $e) {{ code }} }}"
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}
    variables = {"e": unique_email()}
    before = await scrape(api.http)
    unknown = await api.http.post("/graphql", json={"extensions": extensions})
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    for body in (
        {"query": query, "variables": variables, "extensions": extensions},
        {"variables": variables, "extensions": extensions},
    ):
        assert "errors" not in (await api.http.post("/graphql", json=body)).json()
    changed = (await scrape(api.http)).minus(before)
    assert changed.requests("graphql", "<unknown>", "client_error") == 1
    assert changed.value(ERRORS, transport="graphql", code="PERSISTED_QUERY_NOT_FOUND") == 1
    assert changed.requests("graphql", "query codeByEmail") == 2
