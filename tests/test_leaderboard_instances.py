"""Two real instances on one database and one Redis share the leaderboard's computation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.api import CREATE_CODE, LOGIN, PASSWORD, REGISTER
from tests.instances import serving
from tests.servers import fresh_postgres_database, require_server

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

LEADERBOARD = """
query Leaderboard { leaderboard(first: 10) { edges { rank referrals node { id } } } }
"""


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], **headers: str
) -> Any:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def register(client: httpx.AsyncClient, code: str | None = None) -> dict[str, Any]:
    email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    details = {"email": email, "password": PASSWORD, "referralCode": code}
    return (await gql(client, REGISTER, {"input": details}))["register"]


async def referrer_with_code(client: httpx.AsyncClient) -> tuple[str, str]:
    """A new user with a code: (user id, code)."""
    user = await register(client)
    login = await gql(client, LOGIN, {"input": {"email": user["email"], "password": PASSWORD}})
    token = login["login"]["accessToken"]
    expires_at = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    created = await gql(
        client,
        CREATE_CODE,
        {"input": {"code": None, "expiresAt": expires_at}},
        authorization=f"Bearer {token}",
    )
    return user["id"], created["createCode"]["code"]


def places(data: Any) -> list[tuple[int, str, int]]:
    edges = data["leaderboard"]["edges"]
    return [(edge["rank"], edge["node"]["id"], edge["referrals"]) for edge in edges]


async def test_an_instance_serves_the_ranking_another_instance_computed(tmp_path: Path) -> None:
    server_url = require_server("PostgreSQL", "TEST_DATABASE_URL")
    redis_url = require_server("Redis", "TEST_REDIS_URL")
    async with fresh_postgres_database(server_url) as database_url:
        settings = {"database_url": database_url, "redis_url": redis_url}
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        async with (
            serving(tmp_path / "a", **settings) as first,
            serving(tmp_path / "b", **settings) as second,
            first.client() as one,
            second.client() as other,
        ):
            early, early_code = await referrer_with_code(one)
            await register(one, early_code)
            assert places(await gql(one, LEADERBOARD, {})) == [(1, early, 1)]

            _, late_code = await referrer_with_code(other)
            await register(other, late_code)
            await register(other, late_code)

            # The second instance never computed a ranking: it serves the first one's, which
            # may lag by up to 60 seconds, rather than computing its own.
            assert places(await gql(other, LEADERBOARD, {})) == [(1, early, 1)]
            assert places(await gql(one, LEADERBOARD, {})) == [(1, early, 1)]
