"""The REST shim counts attempts with the same keys as GraphQL: 429 with Retry-After."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.api import LOGIN, Api, limit_of, unique_client, unique_email
from tests.rest.helpers import register

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette
    from starlette.responses import Response

WRONG = "wrong password"


@pytest.fixture
async def client(limited_app: Starlette) -> AsyncIterator[Api]:
    async with Api.connect(limited_app, client=unique_client()) as api:
        yield api


def assert_rate_limited(response: Response | Any) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert response.json() == {"detail": "Too many requests; try again later."}


async def test_cookie_logins_past_the_limit_are_429(client: Api) -> None:
    email = (await register(client))["email"]
    form = {"username": email, "password": WRONG}
    for _ in range(limit_of("login", "account_client")):
        assert (await client.http.post("/auth/login", data=form)).status_code == 401
    assert_rate_limited(await client.http.post("/auth/login", data=form))


async def test_token_logins_share_the_budget_of_graphql_logins(client: Api) -> None:
    email = (await register(client))["email"]
    limit = limit_of("login", "account_client")
    for _ in range(limit - 1):
        await client.post_graphql(LOGIN, {"input": {"email": email, "password": WRONG}})
    form = {"grant_type": "password", "username": email, "password": WRONG}
    assert (await client.http.post("/auth/token", data=form)).status_code == 401
    assert_rate_limited(await client.http.post("/auth/token", data=form))


async def test_refresh_grants_past_the_limit_are_429(client: Api) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": "not a refresh token"}
    for _ in range(limit_of("refresh_token", "client")):
        assert (await client.http.post("/auth/token", data=form)).status_code == 401
    assert_rate_limited(await client.http.post("/auth/token", data=form))


async def test_registrations_past_the_limit_are_429(client: Api) -> None:
    taken = (await register(client))["email"]  # the first of the window
    body = {"email": taken, "password": "a long enough password"}
    for _ in range(limit_of("register", "client") - 1):
        assert (await client.http.post("/auth/register/", json=body)).status_code == 409
    assert_rate_limited(await client.http.post("/auth/register/", json=body))


async def test_code_lookups_past_the_limit_are_429(client: Api) -> None:
    path = f"/referrals/code_by_email/{unique_email()}"
    for _ in range(limit_of("code_by_email", "client")):
        assert (await client.http.get(path)).status_code == 404
    assert_rate_limited(await client.http.get(path))
