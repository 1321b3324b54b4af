"""Requests the GraphQL view cannot read are the client's error, answered as JSON, never 5xx."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.api import PASSWORD, unique_email

if TYPE_CHECKING:
    from tests.api import Api


async def refused(api: Api, content: bytes, content_type: str = "application/json") -> str:
    """Post a raw body that must be refused; the message of its one BAD_USER_INPUT error."""
    response = await api.http.post(
        "/graphql", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]
    assert "data" not in body
    return body["errors"][0]["message"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"query": "{ __typename }"', b"\xff\xfe{}", b""],
    ids=["garbage", "truncated", "not-utf-8", "empty"],
)
async def test_a_body_that_is_not_json_is_bad_input_as_json(api: Api, content: bytes) -> None:
    assert "JSON" in await refused(api, content)


async def test_a_body_of_another_type_is_bad_input_as_json(api: Api) -> None:
    assert await refused(api, b"query=%7B__typename%7D", "application/x-www-form-urlencoded")


async def test_a_body_without_a_query_is_bad_input_as_json(api: Api) -> None:
    assert "query" in await refused(api, b'{"variables": {}}')


async def test_a_batch_is_bad_input_as_json(api: Api) -> None:
    assert await refused(api, b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]')


LONE_SURROGATE = "\ud800"  # half of a UTF-16 pair: JSON can escape it, UTF-8 cannot hold it
REFRESH = "mutation R($token: String!) { refreshToken(refreshToken: $token) { accessToken } }"
LOGIN = "mutation L($input: LoginInput!) { login(input: $input) { accessToken } }"
REGISTER = "mutation R($input: RegisterInput!) { register(input: $input) { id } }"
CREATE_CODE = "mutation C($input: CreateCodeInput!) { createCode(input: $input) { code } }"
CODE_BY_EMAIL = "query Q($email: String!) { codeByEmail(email: $email) { code } }"


def operation(query: str, variables: Any = None, **fields: Any) -> bytes:
    """An operation as JSON text, which escapes lone surrogates as `\\ud800`."""
    return json.dumps({"query": query, "variables": variables, **fields}).encode()


@pytest.mark.parametrize(
    "content",
    [
        operation("query A { __typename }", operationName=LONE_SURROGATE),
        operation(f'{{ codeByEmail(email: "{LONE_SURROGATE}@example.com") {{ code }} }}'),
        operation(CREATE_CODE, {"input": {"expiresAt": LONE_SURROGATE}}),
        operation(LOGIN, {"input": {"email": unique_email(), "password": PASSWORD + "\udfff"}}),
        operation(REGISTER, {"input": {"email": unique_email(), "password": LONE_SURROGATE * 9}}),
        operation(REFRESH, {"token": LONE_SURROGATE}),
        operation(CODE_BY_EMAIL, {"email": "x@example.com"}, extensions={"k": LONE_SURROGATE}),
    ],
    ids=["operation-name", "query", "datetime", "login", "register", "refresh", "extensions"],
)
async def test_a_lone_surrogate_anywhere_is_bad_input_as_json(api: Api, content: bytes) -> None:
    _, token = await api.signed_up()
    response = await api.http.post(
        "/graphql",
        content=content,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_lone_surrogate_escaped_in_the_document_is_a_parse_error(api: Api) -> None:
    body = await api.post_graphql('{ codeByEmail(email: "\\ud800@example.com") { code } }')
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "Invalid Unicode escape sequence" in body["errors"][0]["message"]


def nested(depth: int, *, opener: bytes = b"[", closer: bytes = b"]") -> bytes:
    """JSON text of a string nested `depth` levels deep (written out: encoders stop at ~255)."""
    return opener * depth + b'"2030-01-01T00:00:00Z"' + closer * depth


def with_variables(query: str, variables: bytes) -> bytes:
    return b'{"query": ' + json.dumps(query).encode() + b', "variables": ' + variables + b"}"


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 20_000 + b"]" * 20_000,
        with_variables(
            CODE_BY_EMAIL, b'{"email": ' + nested(10_000, opener=b'{"a":', closer=b"}") + b"}"
        ),
        with_variables(CODE_BY_EMAIL, b'{"email": ' + nested(30_000) + b"}"),
    ],
    ids=["body", "objects", "arrays"],
)
async def test_json_nested_tens_of_thousands_deep_is_bad_input_as_json(
    api: Api, content: bytes
) -> None:
    assert len(content) <= 65_536  # within the body limit: the decoder must refuse it
    assert "JSON" in await refused(api, content)


@pytest.mark.parametrize("depth", [100, 1000])
async def test_variables_nested_within_the_decoders_limit_are_bad_input(
    api: Api, depth: int
) -> None:
    _, token = await api.signed_up()
    deep = nested(depth // 2, opener=b'[{"a":', closer=b"}]")
    for query, variables in (
        (CODE_BY_EMAIL, b'{"email": ' + deep + b"}"),
        (CREATE_CODE, b'{"input": {"expiresAt": ' + deep + b', "code": ' + deep + b"}}"),
        (REGISTER, b'{"input": ' + deep + b"}"),
    ):
        response = await api.http.post(
            "/graphql",
            content=with_variables(query, variables),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        codes = [error["extensions"]["code"] for error in response.json()["errors"]]
        assert set(codes) == {"BAD_USER_INPUT"}


async def test_deep_variables_in_a_get_request_are_bad_input_as_json(api: Api) -> None:
    params = {"query": CODE_BY_EMAIL, "variables": nested(5_000).decode()}
    response = await api.http.get("/graphql", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


REFERRALS = (
    "query R($id: ID!, $after: String) { referralsById(id: $id, after: $after) { totalCount } }"
)


async def test_a_nul_in_emails_codes_ids_and_cursors_is_bad_input(api: Api) -> None:
    user, token = await api.signed_up()
    for query, variables in (
        (REGISTER, {"input": {"email": "nul\x00@example.com", "password": PASSWORD}}),
        (
            REGISTER,
            {"input": {"email": unique_email(), "password": PASSWORD, "referralCode": "AB\x00CD"}},
        ),
        (CODE_BY_EMAIL, {"email": "nul@exam\x00ple.com"}),
        (CREATE_CODE, {"input": {"code": "AB\x00CD", "expiresAt": "2030-01-01T00:00:00Z"}}),
        (REFERRALS, {"id": "1\x00"}),
        (REFERRALS, {"id": user["id"], "after": "\x00"}),
    ):
        assert await api.error_code(query, variables, token=token) == "BAD_USER_INPUT"


async def test_a_nul_in_sign_in_input_is_unauthenticated(api: Api) -> None:
    for query, variables in (
        (LOGIN, {"input": {"email": "nul\x00@example.com", "password": PASSWORD}}),
        (LOGIN, {"input": {"email": unique_email(), "password": "\x00" * 12}}),
        (REFRESH, {"token": "refresh\x00token"}),
    ):
        assert await api.error_code(query, variables) == "UNAUTHENTICATED"


async def test_a_nul_in_a_password_is_a_password_like_any_other(api: Api) -> None:
    email, password = unique_email(), "before\x00after the nul"
    await api.register(email, password=password)
    assert (await api.login(email, password))["accessToken"]
    cut_short = {"input": {"email": email, "password": "before"}}
    assert await api.error_code(LOGIN, cut_short) == "UNAUTHENTICATED"
