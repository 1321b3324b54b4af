"""What a front end meets at once: CORS for its dev server and Apollo, token errors to act on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt
import pytest

from app.main import create_app
from tests.api import PASSWORD, Api
from tests.conftest import make_settings, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

PUBLIC = "query Public { __typename }"
ME = "query Me { me { id } }"
REFRESH = "mutation Refresh($t: String!) { refreshToken(refreshToken: $t) { accessToken } }"
APOLLO_HEADERS = "content-type,apollographql-client-name,apollographql-client-version"


async def preflight(api: Api, origin: str, headers: str = "content-type") -> dict[str, str]:
    response = await api.http.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )
    return dict(response.headers)


@pytest.fixture
async def development_api(backend: dict[str, Any]) -> AsyncIterator[Api]:
    settings = make_settings(backend, app_env="development")
    async with running(create_app(settings)) as app, Api.connect(app) as client:
        yield client


@pytest.mark.parametrize(
    "origin", ["http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:8080"]
)
async def test_a_dev_server_on_loopback_may_call_in_development(
    development_api: Api, origin: str
) -> None:
    headers = await preflight(development_api, origin, APOLLO_HEADERS)
    assert headers["access-control-allow-origin"] == origin
    assert headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize(
    "origin", ["http://localhost.evil.example", "https://localhost:5173", "http://10.0.0.1:5173"]
)
async def test_only_loopback_origins_are_allowed_in_development(
    development_api: Api, origin: str
) -> None:
    assert "access-control-allow-origin" not in await preflight(development_api, origin)


async def test_loopback_origins_are_not_allowed_outside_development(api: Api) -> None:
    assert "access-control-allow-origin" not in await preflight(api, "http://localhost:5173")


async def test_apollo_headers_are_allowed_and_the_request_id_exposed(
    development_api: Api,
) -> None:
    origin = "http://localhost:5173"
    headers = await preflight(development_api, origin, APOLLO_HEADERS)
    allowed = headers["access-control-allow-headers"].lower()
    assert "apollographql-client-name" in allowed
    assert "apollographql-client-version" in allowed
    response = await development_api.http.post(
        "/graphql", json={"query": PUBLIC}, headers={"Origin": origin}
    )
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


def token_for(api: Api, user_id: str, **changes: Any) -> str:
    settings = api.app.state.runtime.settings
    now = datetime.now(UTC)
    claims = {
        "sub": user_id,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "a-token-id",
    } | changes
    return jwt.encode(claims, settings.signing_key, algorithm="HS256")


async def refusal(api: Api, query: str, token: str) -> dict[str, Any]:
    body = await api.post_graphql(query, token=token)
    assert body.get("data") is None, body
    (error,) = body["errors"]
    return error["extensions"]


async def test_an_expired_token_says_so_even_on_a_public_query(api: Api) -> None:
    user = await api.register()
    expired = token_for(api, user["id"], exp=datetime.now(UTC) - timedelta(seconds=5))
    for query in (PUBLIC, ME):
        assert await refusal(api, query, expired) == {
            "code": "UNAUTHENTICATED",
            "reason": "EXPIRED",
        }


async def test_a_revoked_token_says_so(api: Api) -> None:
    _, token = await api.signed_up()
    await api.gql("mutation Out { logout }", token=token)
    assert await refusal(api, PUBLIC, token) == {"code": "UNAUTHENTICATED", "reason": "REVOKED"}


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
async def test_a_garbage_token_is_invalid_not_anonymous(api: Api, token: str) -> None:
    assert await refusal(api, PUBLIC, token) == {"code": "UNAUTHENTICATED", "reason": "INVALID"}


async def test_a_bad_cookie_on_a_public_query_stays_anonymous(api: Api) -> None:
    """Browsers keep sending a stale cookie; only a bearer token is refused outright."""
    cookie = api.app.state.runtime.settings.auth_cookie_name
    response = await api.http.post(
        "/graphql", json={"query": PUBLIC}, headers={"Cookie": f"{cookie}=garbage"}
    )
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_no_token_on_a_private_field_has_no_reason(api: Api) -> None:
    body = await api.post_graphql(ME)
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_a_reused_refresh_token_is_revoked_and_an_unknown_one_invalid(api: Api) -> None:
    user = await api.register()
    tokens = await api.login(user["email"], PASSWORD)
    await api.gql(REFRESH, {"t": tokens["refreshToken"]})
    reused = await api.post_graphql(REFRESH, {"t": tokens["refreshToken"]})
    assert reused["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "REVOKED"}
    unknown = await api.post_graphql(REFRESH, {"t": "never-issued"})
    assert unknown["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "INVALID"}
