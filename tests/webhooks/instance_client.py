"""GraphQL over real HTTP to `python -m app serve` instances, for webhook tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.api import LOGIN, PASSWORD, REGISTER, unique_email
from tests.webhooks.conftest import CREATE_ENDPOINT

if TYPE_CHECKING:
    from tests.instances import Instance


async def gql(
    instance: Instance, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with instance.client() as client:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


async def register(instance: Instance) -> dict[str, Any]:
    variables = {"input": {"email": unique_email(), "password": PASSWORD}}
    return (await gql(instance, REGISTER, variables))["register"]


async def superuser_endpoint(
    instance: Instance, database_url: str, url: str, event_types: list[str] | None = None
) -> dict[str, Any]:
    """A superuser made on `instance` (promoted in the database) creates an endpoint."""
    user = await register(instance)
    promote = "UPDATE account SET is_superuser = true WHERE id = :id"
    await execute(database_url, promote, id=int(user["id"]))
    login = {"input": {"email": user["email"], "password": PASSWORD}}
    token = (await gql(instance, LOGIN, login))["login"]["accessToken"]
    variables = {"input": {"url": url, "eventTypes": event_types}}
    return (await gql(instance, CREATE_ENDPOINT, variables, token))["createWebhookEndpoint"]


async def execute(database_url: str, statement: str, **params: Any) -> list[Any]:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        await engine.dispose()


async def deliveries(database_url: str) -> list[Any]:
    """(event_id, status, attempts) of every delivery."""
    return await execute(
        database_url, "SELECT event_id, status, attempts FROM webhook_delivery ORDER BY id"
    )
