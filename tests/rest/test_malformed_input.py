"""Malformed strings over REST (lone surrogates, NUL, deep nesting) are 4xx as JSON, never 5xx."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import PASSWORD, Api, unique_email

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
