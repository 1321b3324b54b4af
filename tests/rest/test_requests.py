"""Malformed and invalid requests: always 422 in FastAPI's familiar shape, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import Api, unique_email
from tests.rest.helpers import signed_up


def issues(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    return response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [b'{"email": ', b"not json", b"", b'{"email": "a@example.com", "password": "\\ud800abcdefgh"}'],
)
async def test_malformed_json_is_422(api: Api, body: bytes) -> None:
    response = await api.http.post(
        "/auth/register/", content=body, headers={"Content-Type": "application/json"}
    )
    assert [issue["type"] for issue in issues(response)] == ["json_invalid"]
    assert issues(response)[0]["loc"] == ["body"]


@pytest.mark.parametrize("body", [b"[]", b"null", b'"text"', b"42"])
async def test_json_that_is_not_an_object_is_422(api: Api, body: bytes) -> None:
    response = await api.http.post(
        "/auth/register/", content=body, headers={"Content-Type": "application/json"}
    )
    assert issues(response)[0]["loc"] == ["body"]


JSON_BODY = b'{"email": "a@example.com", "password": "long enough", "expiration": "2030-01-01"}'


@pytest.mark.parametrize("path", ["/auth/register/", "/referrals/create_code"])
@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/merge-patch+json"],
)
async def test_a_json_endpoint_refuses_a_body_not_declared_as_json_with_415(
    api: Api, path: str, content_type: str | None
) -> None:
    _, auth = await signed_up(api)
    headers = auth | ({"Content-Type": content_type} if content_type else {})
    response = await api.http.post(path, content=JSON_BODY, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json() == {"detail": "The body must be sent as application/json."}


@pytest.mark.parametrize("path", ["/auth/login", "/auth/token"])
@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
async def test_a_form_endpoint_refuses_a_body_not_declared_as_a_form_with_415(
    api: Api, path: str, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await api.http.post(
        path, content=b"grant_type=password&username=a@example.com&password=x", headers=headers
    )
    assert response.status_code == 415, response.text
    assert response.json() == {
        "detail": "The body must be sent as application/x-www-form-urlencoded "
        "or multipart/form-data."
    }


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
async def test_json_declared_with_parameters_or_in_capitals_is_json(
    api: Api, content_type: str
) -> None:
    body = b'{"email": "%s", "password": "long enough"}' % unique_email().encode()
    response = await api.http.post(
        "/auth/register/", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 200, response.text


async def test_missing_and_mistyped_fields_are_listed_with_their_location(api: Api) -> None:
    response = await api.http.post("/auth/register/", json={"email": 42})
    assert issues(response) == [
        {
            "type": "string_type",
            "loc": ["body", "email"],
            "msg": "Input should be a valid string",
            "input": 42,
        },
        {"type": "missing", "loc": ["body", "password"], "msg": "Field required"},
    ]


async def test_a_password_is_never_echoed_back(api: Api) -> None:
    response = await api.http.post(
        "/auth/register/", json={"email": unique_email(), "password": ["secret", "parts"]}
    )
    assert "input" not in issues(response)[0]
    assert "secret" not in response.text
    token = await api.http.post(
        "/auth/token", data={"grant_type": "password", "password": "secret password"}
    )
    assert issues(token)[0]["loc"] == ["body"]
    assert "secret" not in token.text


async def test_problems_in_path_query_and_body_come_in_one_answer(api: Api) -> None:
    _, headers = await signed_up(api)
    response = await api.http.post(
        "/referrals/create_code", json={"code": 1234, "expiration": "soon"}, headers=headers
    )
    assert [issue["loc"] for issue in issues(response)] == [
        ["body", "code"],
        ["body", "expiration"],
    ]
    query = await api.http.get("/referrals/by_id/1", params={"limit": "many"})
    assert issues(query)[0]["loc"] == ["query", "limit"]


async def test_the_login_form_needs_username_and_password(api: Api) -> None:
    response = await api.http.post("/auth/login", data={"grant_type": "password"})
    assert [issue["loc"] for issue in issues(response)] == [
        ["body", "username"],
        ["body", "password"],
    ]


async def test_a_malformed_multipart_form_is_422(api: Api) -> None:
    response = await api.http.post(
        "/auth/login",
        content=b"--elsewhere\r\nbroken",
        headers={"Content-Type": "multipart/form-data; boundary=expected"},
    )
    assert issues(response)[0]["type"] == "form_invalid"


async def test_a_multipart_login_form_works_like_a_urlencoded_one(api: Api) -> None:
    user, _ = await signed_up(api)
    response = await api.http.post(
        "/auth/login",
        files={"username": (None, user["email"]), "password": (None, "correct horse battery")},
    )
    assert response.status_code == 204


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"grant_type": "client_credentials"}, "Input should be 'password' or 'refresh_token'"),
        ({"grant_type": "password", "username": "a@example.com"}, "grant_type=password needs"),
        ({"grant_type": "refresh_token"}, "grant_type=refresh_token needs `refresh_token`"),
    ],
)
async def test_a_token_request_must_fit_its_grant(
    api: Api, form: dict[str, str], message: str
) -> None:
    response = await api.http.post("/auth/token", data=form)
    assert message in issues(response)[0]["msg"]


async def test_an_oversized_body_is_refused(api: Api) -> None:
    response = await api.http.post(
        "/auth/register/", json={"email": unique_email(), "password": "x" * 100_000}
    )
    assert response.status_code == 413


async def test_unknown_paths_and_methods_answer_in_the_detail_shape(api: Api) -> None:
    missing = await api.http.get("/referrals/nothing/here")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    wrong = await api.http.get("/referrals/create_code")
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})
    assert wrong.headers["allow"] == "POST"
