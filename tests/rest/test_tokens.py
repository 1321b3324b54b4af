"""OAuth2 tokens over REST: the password and refresh grants, bearer use and logout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.rest.helpers import bearer, cookie, in_days, login_cookie, register, tokens

if TYPE_CHECKING:
    from tests.api import Api


async def test_the_password_grant_answers_rfc_6749_tokens(api: Api) -> None:
    user = await register(api)
    response = await api.http.post(
        "/auth/token",
        data={
            "grant_type": "password",
            "username": user["email"],
            "password": "correct horse battery",
        },
    )
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert response.json()["token_type"] == "bearer"
    assert response.json()["expires_in"] == 900
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


async def test_the_token_endpoint_ignores_what_swagger_ui_adds_to_the_form(api: Api) -> None:
    user = await register(api)
    response = await api.http.post(
        "/auth/token",
        data={
            "grant_type": "password",
            "username": user["email"],
            "password": "correct horse battery",
            "scope": "",
            "client_id": "",
            "client_secret": "",
        },
    )
    assert response.status_code == 200


async def test_a_bearer_token_signs_requests_in(api: Api) -> None:
    user = await register(api)
    issued = await tokens(api, user["email"])
    response = await api.http.post(
        "/referrals/create_code",
        json={"expiration": in_days(1)},
        headers=bearer(issued["access_token"]),
    )
    assert response.status_code == 200


async def test_the_refresh_grant_rotates_the_refresh_token(api: Api) -> None:
    user = await register(api)
    first = await tokens(api, user["email"])
    response = await api.http.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]


async def test_logout_with_a_bearer_token_revokes_it(api: Api) -> None:
    user = await register(api)
    headers = bearer((await tokens(api, user["email"]))["access_token"])
    assert (await api.http.post("/auth/logout", headers=headers)).status_code == 204
    response = await api.http.delete("/referrals/delete_code", headers=headers)
    assert response.status_code == 401


async def test_logout_revokes_only_the_presented_token(api: Api) -> None:
    user = await register(api)
    first = await login_cookie(api, user["email"])
    second = await login_cookie(api, user["email"])
    assert (await api.http.post("/auth/logout", headers=cookie(first))).status_code == 204
    response = await api.http.delete("/referrals/delete_code", headers=cookie(second))
    assert response.status_code == 404  # still signed in: there is just no code to delete


async def test_logout_without_a_token_is_401(api: Api) -> None:
    response = await api.http.post("/auth/logout")
    assert response.status_code == 401


async def test_a_cookie_token_works_on_graphql_too(api: Api) -> None:
    user = await register(api)
    value = await login_cookie(api, user["email"])
    response = await api.http.post(
        "/graphql", json={"query": "{ me { id email } }"}, headers=cookie(value)
    )
    assert response.json()["data"]["me"] == {"id": str(user["id"]), "email": user["email"]}
