"""GraphQL over HTTP: media types and statuses as the specification says, GET for queries."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api import Api

GRAPHQL_RESPONSE = "application/graphql-response+json"
CODE = "query Code($email: String!) { codeByEmail(email: $email) { code } }"


async def post(
    api: Api, body: object, accept: str | None = GRAPHQL_RESPONSE
) -> tuple[int, str, dict]:
    headers = {"accept": accept} if accept else {}
    response = await api.http.post("/graphql", json=body, headers=headers)
    return response.status_code, response.headers["content-type"], response.json()


async def test_a_client_that_accepts_graphql_response_json_gets_it(api: Api) -> None:
    status, media, body = await post(api, {"query": "{ __typename }"})
    assert (status, media, body) == (200, GRAPHQL_RESPONSE, {"data": {"__typename": "Query"}})


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/json, application/graphql-response+json;q=0.5"],
)
async def test_anyone_else_gets_json(api: Api, accept: str | None) -> None:
    _, media, _ = await post(api, {"query": "{ __typename }"}, accept)
    assert media == "application/json"


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ codeByEmail(", None, "GRAPHQL_PARSE_FAILED"),
        ('{ codeByMail(email: "a@example.com") { code } }', None, "GRAPHQL_VALIDATION_FAILED"),
        (CODE, {"email": 42}, "BAD_USER_INPUT"),
    ],
)
async def test_a_request_error_is_400_with_no_data_under_graphql_response_json(
    api: Api, query: str, variables: dict | None, code: str
) -> None:
    status, _, body = await post(api, {"query": query, "variables": variables})
    assert status == 400
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == code
    json_status, _, json_body = await post(api, {"query": query, "variables": variables}, None)
    assert json_status == 200
    assert json_body["data"] is None
    assert json_body["errors"][0]["extensions"]["code"] == code


async def test_a_field_error_keeps_data_and_200(api: Api) -> None:
    status, _, body = await post(api, {"query": "{ me { id } }"})
    assert status == 200
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_bad_bearer_token_is_401_with_a_challenge(api: Api) -> None:
    response = await api.http.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"accept": GRAPHQL_RESPONSE, "authorization": "Bearer garbage"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert "data" not in response.json()


async def test_a_query_runs_over_get(api: Api) -> None:
    user, token = await api.signed_up()
    await api.create_code(token)
    response = await api.http.get(
        "/graphql",
        params={
            "query": CODE,
            "variables": json.dumps({"email": user["email"]}),
            "operationName": "Code",
        },
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 200
    assert response.json()["data"]["codeByEmail"]["code"]


async def test_a_mutation_over_get_is_405_and_changes_nothing(api: Api) -> None:
    user, token = await api.signed_up()
    created = await api.create_code(token)
    response = await api.http.get(
        "/graphql",
        params={"query": "mutation { deleteCode { code } }"},
        headers={"accept": GRAPHQL_RESPONSE, "authorization": f"Bearer {token}"},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await api.code_by_email(user["email"])) == {
        "code": created["code"],
        "expiresAt": created["expiresAt"],
    }


async def test_an_unreadable_body_is_400_as_json(api: Api) -> None:
    response = await api.http.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("body", [b"null", b"42", b'"{ __typename }"', b"true"])
async def test_a_json_body_that_is_not_an_object_is_400(api: Api, body: bytes) -> None:
    response = await api.http.post(
        "/graphql",
        content=body,
        headers={"content-type": "application/json", "accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_null_variables_over_get_are_no_variables(api: Api) -> None:
    response = await api.http.get(
        "/graphql",
        params={"query": "{ __typename }", "variables": "null", "extensions": "null"},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})


async def test_a_document_of_several_operations_needs_the_name_of_the_one_to_run(
    api: Api,
) -> None:
    document = "query A { __typename } mutation B { logout }"
    status, _, body = await post(api, {"query": document})
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    status, _, body = await post(api, {"query": document, "operationName": "A"})
    assert (status, body) == (200, {"data": {"__typename": "Query"}})
