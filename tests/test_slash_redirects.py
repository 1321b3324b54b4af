"""Trailing-slash redirects are relative: the request's Host header never picks where they go."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.api import PASSWORD, unique_email

if TYPE_CHECKING:
    from tests.api import Api

EVIL = {"Host": "evil.example"}


@pytest.mark.parametrize(
    ("method", "path", "location"),
    [
        ("POST", "/auth/register", "/auth/register/"),
        ("POST", "/auth/register?referral_code=ABCD1234", "/auth/register/?referral_code=ABCD1234"),
        ("POST", "/auth/login/", "/auth/login"),
        ("GET", "/referrals/by_id/1/?limit=5", "/referrals/by_id/1?limit=5"),
        ("POST", "/graphql/", "/graphql"),
        ("GET", "/health/live/", "/health/live"),
    ],
)
async def test_a_trailing_slash_redirect_is_relative(
    api: Api, method: str, path: str, location: str
) -> None:
    response = await api.http.request(method, path, headers=EVIL)
    assert response.status_code == 307, response.text
    assert response.headers["location"] == location


async def test_a_path_starting_with_two_slashes_never_redirects_off_site(api: Api) -> None:
    # Given as a string, httpx would read "//evil.example/" as a host and send POST /.
    url = api.http.base_url.copy_with(raw_path=b"//evil.example/")
    response = await api.http.post(url, headers=EVIL)
    assert response.status_code == 404
    assert "location" not in response.headers


async def test_a_client_following_the_redirect_registers(api: Api) -> None:
    email = unique_email()
    response = await api.http.post(
        "/auth/register",
        json={"email": email, "password": PASSWORD},
        headers=EVIL,
        follow_redirects=True,
    )
    assert response.status_code == 200, response.text
    assert response.json()["email"] == email
    assert response.url.host != "evil.example"


async def test_a_path_with_no_route_either_way_is_not_found(api: Api) -> None:
    response = await api.http.get("/auth/nothing/", headers=EVIL)
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
