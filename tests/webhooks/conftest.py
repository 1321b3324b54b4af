"""Fixtures for webhook tests: a loopback receiver, superusers, and apps on a database of
their own (so that a test's retry schedule is the only one its deliveries see)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import col, update

from app.main import create_app
from app.models import User
from tests.api import Api, database
from tests.conftest import make_settings, migrate, running
from tests.servers import fresh_postgres_database, require_server
from tests.webhooks.receiver import Receiver

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

CREATE_ENDPOINT = """
mutation Create($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    secret endpoint { id url eventTypes createdAt disabledAt }
  }
}"""
DELETE_ENDPOINT = "mutation Delete($id: ID!) { deleteWebhookEndpoint(id: $id) }"
ENDPOINTS = """
query Endpoints($first: Int! = 20, $after: String = null) {
  webhookEndpoints {
    id url eventTypes createdAt disabledAt
    deliveries(first: $first, after: $after) {
      edges { cursor node {
        id eventId eventType status attempts lastResponseStatus lastAttemptAt nextAttemptAt
      } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""

HooksApp = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def hooks_database(backend: dict[str, Any], tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, migrated database of the backend, for this test alone."""
    if backend["name"] == "embedded":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hooks.db'}"
        await migrate(url)
        yield url
        return
    async with fresh_postgres_database(require_server("PostgreSQL", "TEST_DATABASE_URL")) as url:
        await migrate(url)
        yield url


@pytest.fixture
def hooks_app(backend: dict[str, Any], hooks_database: str) -> HooksApp:
    """An app with these settings on the test's own database, inside its lifespan; apps built
    one after the other in a test share that database (a restart)."""

    @asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[Api]:
        settings = make_settings(backend, database_url=hooks_database, **overrides)
        async with running(create_app(settings)) as app, Api.connect(app) as api:
            yield api

    return build


async def superuser_token(api: Api) -> str:
    """The access token of a new superuser."""
    user, _ = await api.signed_up()
    async with database(api.app) as session:
        await session.exec(
            update(User).where(col(User.id) == int(user["id"])).values(is_superuser=True)
        )
        await session.commit()
    return (await api.login(user["email"]))["accessToken"]


async def create_endpoint(
    api: Api, token: str, url: str, event_types: list[str] | None = None
) -> dict[str, Any]:
    variables = {"input": {"url": url, "eventTypes": event_types}}
    return (await api.gql(CREATE_ENDPOINT, variables, token=token))["createWebhookEndpoint"]


async def endpoint_view(api: Api, token: str, endpoint_id: str, **page: Any) -> dict[str, Any]:
    endpoints = (await api.gql(ENDPOINTS, page, token=token))["webhookEndpoints"]
    (found,) = [endpoint for endpoint in endpoints if endpoint["id"] == endpoint_id]
    return found


async def deliveries_of(api: Api, token: str, endpoint_id: str) -> list[dict[str, Any]]:
    view = await endpoint_view(api, token, endpoint_id, first=100)
    return [edge["node"] for edge in view["deliveries"]["edges"]]


async def until_settled(
    api: Api, token: str, endpoint_id: str, count: int, within: float = 15.0
) -> list[dict[str, Any]]:
    """The endpoint's deliveries once `count` of them are no longer PENDING."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        deliveries = await deliveries_of(api, token, endpoint_id)
        settled = [node for node in deliveries if node["status"] != "PENDING"]
        if len(settled) >= count:
            return deliveries
        if loop.time() > deadline:
            raise AssertionError(f"not settled: {deliveries}")
        await asyncio.sleep(0.05)


def spec_signature(secret: str, headers: dict[str, str], body: bytes) -> str:
    """The Standard Webhooks signature computed from the specification, not the package:
    base64(HMAC-SHA256(base64-decoded secret, "<id>.<timestamp>.<body>")), prefixed v1."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
