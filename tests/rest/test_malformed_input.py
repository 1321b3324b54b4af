"""Malformed strings over REST (lone surrogates, NUL, deep nesting) are 4xx as JSON, never 5xx."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import PASSWORD, Api, in_days, unique_email
from tests.rest.helpers import signed_up

# How each charset writes U+D800, half of a UTF-16 pair that UTF-8 cannot hold.
LONE_SURROGATE_IN = {"utf-7": b"+2AA-", "unicode_escape": b"\\ud800"}


def multipart(fields: dict[str, bytes], charset: str) -> tuple[bytes, str]:
    """A multipart form body and its content type, which names `charset` for the fields."""
    parts = b"".join(
        b'--boundary\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (name.encode(), value)
        for name, value in fields.items()
    )
    return parts + b"--boundary--\r\n", f"multipart/form-data; boundary=boundary; charset={charset}"


@pytest.mark.parametrize("charset", sorted(LONE_SURROGATE_IN))
@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/auth/login", {"username": b"a@example.com", "password": b"%s" + PASSWORD.encode()}),
        (
            "/auth/token",
            {"grant_type": b"password", "username": b"a@example.com", "password": b"%s" * 8},
        ),
        ("/auth/token", {"grant_type": b"refresh_token", "refresh_token": b"token%s"}),
        (
            "/auth/token",
            {"grant_type": b"password", "username": b"%s@example.com", "password": b"a" * 8},
        ),
    ],
    ids=["login-password", "token-password", "refresh-token", "username"],
)
async def test_a_form_field_with_a_lone_surrogate_is_422(
    api: Api, path: str, form: dict[str, bytes], charset: str
) -> None:
    fields = {
        name: value.replace(b"%s", LONE_SURROGATE_IN[charset]) for name, value in form.items()
    }
    content, content_type = multipart(fields, charset)
    response = await api.http.post(path, content=content, headers={"Content-Type": content_type})
    assert response.status_code == 422, response.text
    issues: list[dict[str, Any]] = response.json()["detail"]
    assert [issue["type"] for issue in issues] == ["string_unicode"]


async def test_a_form_in_a_charset_that_keeps_to_unicode_still_signs_in(api: Api) -> None:
    email = unique_email()
    password = "pässwörd with ümlauts"
    registered = await api.http.post("/auth/register/", json={"email": email, "password": password})
    assert registered.status_code == 200, registered.text
    fields = {"username": email.encode("utf-7"), "password": password.encode("utf-7")}
    content, content_type = multipart(fields, "utf-7")
    response = await api.http.post(
        "/auth/login", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == 204, response.text


@pytest.mark.parametrize(
    "path",
    [
        "/referrals/code_by_email/%ED%A0%80@example.com",
        "/referrals/code_by_email/%FF@example.com",
        "/referrals/code_by_email/a%00b@example.com",
        "/referrals/by_id/%ED%A0%80",
        "/referrals/by_id/1%00",
        "/referrals/by_id/1?after=%ED%A0%80",
        "/referrals/by_id/1?after=%FF%00&limit=%00",
    ],
)
async def test_invalid_utf_8_and_nul_in_paths_and_queries_are_client_errors(
    api: Api, path: str
) -> None:
    response = await api.http.get(path)
    assert response.status_code in (404, 422), response.text
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "token",
    [b"\xed\xa0\x80", b"\xff\xfe", b"a\x00b", b"\x80" * 20_000],
    ids=["utf-8-surrogate", "invalid-utf-8", "nul", "long"],
)
async def test_a_token_of_odd_bytes_is_401(api: Api, token: bytes) -> None:
    for headers in (
        [(b"authorization", b"Bearer " + token)],
        [(b"cookie", b"fastapiusersauth=" + token)],
    ):
        response = await api.http.post("/auth/logout", headers=headers)
        assert response.status_code == 401, response.text
        assert "detail" in response.json()


@pytest.mark.parametrize(
    "body",
    [
        {"email": "nul\x00@example.com", "password": PASSWORD},
        {"email": "nul@exa\x00mple.com", "password": PASSWORD},
    ],
)
async def test_a_nul_in_a_registration_email_is_422(api: Api, body: dict[str, str]) -> None:
    response = await api.http.post("/auth/register/", json=body)
    assert response.status_code == 422, response.text


async def test_a_nul_in_a_password_is_a_password_like_any_other(api: Api) -> None:
    email, password = unique_email(), "before\x00after the nul"
    registered = await api.http.post("/auth/register/", json={"email": email, "password": password})
    assert registered.status_code == 200, registered.text
    signed_in = await api.http.post("/auth/login", data={"username": email, "password": password})
    assert signed_in.status_code == 204, signed_in.text
    cut_short = await api.http.post("/auth/login", data={"username": email, "password": "before"})
    assert cut_short.status_code == 401, cut_short.text


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/auth/login", {"username": "a\x00@example.com", "password": PASSWORD}),
        ("/auth/token", {"grant_type": "refresh_token", "refresh_token": "to\x00ken"}),
        ("/auth/token", {"grant_type": "password", "username": "\x00", "password": "\x00" * 8}),
    ],
)
async def test_a_nul_in_sign_in_forms_is_401(api: Api, path: str, form: dict[str, str]) -> None:
    response = await api.http.post(path, data=form)
    assert response.status_code == 401, response.text


async def test_a_nul_in_codes_is_422(api: Api) -> None:
    _, headers = await signed_up(api)
    created = await api.http.post(
        "/referrals/create_code",
        json={"code": "AB\x00CD", "expiration": in_days(3)},
        headers=headers,
    )
    assert created.status_code == 422, created.text
    registered = await api.http.post(
        "/auth/register/",
        params={"referral_code": "AB\x00CD"},
        json={"email": unique_email(), "password": PASSWORD},
    )
    assert registered.status_code == 422, registered.text


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 20_000 + b"]" * 20_000,
        b'{"email": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_001,
        b'{"email": "a@example.com", "password": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
    ],
    ids=["body", "objects", "arrays"],
)
async def test_json_nested_tens_of_thousands_deep_is_422(api: Api, body: bytes) -> None:
    response = await api.http.post(
        "/auth/register/", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "json_invalid"
