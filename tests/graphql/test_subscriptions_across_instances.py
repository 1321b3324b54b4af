"""A referral made through one instance reaches a subscriber on another within a second: two
real `python -m app serve` processes, one PostgreSQL database and the shared Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.api import PASSWORD, unique_email
from tests.graphql_ws import GraphQLWS
from tests.instances import serving
from tests.servers import fresh_postgres_database, require_server

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

REGISTER = "mutation R($input: RegisterInput!) { register(input: $input) { id } }"
LOGIN = "mutation L($input: LoginInput!) { login(input: $input) { accessToken } }"
CREATE_CODE = "mutation C($input: CreateCodeInput!) { createCode(input: $input) { code } }"
WITHIN = 1.0  # the contract's bound


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = (
        await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    ).json()
    assert not body.get("errors"), body
    return dict(body["data"])


async def signed_up(client: httpx.AsyncClient) -> str:
    credentials = {"input": {"email": unique_email(), "password": PASSWORD}}
    await gql(client, REGISTER, credentials)
    return str((await gql(client, LOGIN, credentials))["login"]["accessToken"])


async def test_a_referral_through_one_instance_reaches_a_subscriber_on_another(
    tmp_path: Path,
) -> None:
    server_url = require_server("PostgreSQL", "TEST_DATABASE_URL")
    redis_url = require_server("Redis", "TEST_REDIS_URL")
    async with fresh_postgres_database(server_url) as database_url:
        settings = {
            "database_url": database_url,
            "redis_url": redis_url,
            "redis_channel_prefix": f"test-{uuid.uuid4().hex}",
        }
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        async with (
            serving(tmp_path / "a", **settings) as a,
            serving(tmp_path / "b", **settings) as b,
            a.client() as on_a,
        ):
            token = await signed_up(on_a)
            expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
            code = (await gql(on_a, CREATE_CODE, {"input": {"expiresAt": expires}}, token))[
                "createCode"
            ]["code"]
            bystander = await signed_up(on_a)
            base_b = b.base_url.removeprefix("http://")
            async with GraphQLWS.connect(base_b) as mine, GraphQLWS.connect(base_b) as theirs:
                await mine.init_with_token(token)
                await theirs.init_with_token(bystander)
                operation = await mine.subscribe()
                other = await theirs.subscribe()
                await asyncio.sleep(0.3)  # B's SUBSCRIBE reaches Redis
                for _ in range(3):
                    variables = {
                        "input": {
                            "email": unique_email(),
                            "password": PASSWORD,
                            "referralCode": code,
                        }
                    }
                    joined = (await gql(on_a, REGISTER, variables))["register"]["id"]
                    answered = time.monotonic()
                    data = await mine.next_data(operation, within=WITHIN)
                    assert time.monotonic() - answered < WITHIN
                    assert data["referralJoined"]["node"]["id"] == joined
                assert theirs.pending(other) == 0
