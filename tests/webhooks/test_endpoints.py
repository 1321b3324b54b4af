"""Webhook endpoints: superusers only, secrets shown once and sealed at rest, inputs checked."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

import pytest
from sqlmodel import select

from app.models import WebhookEndpoint
from app.security import SecretBox
from tests.api import Api, GraphQLErrors, database
from tests.conftest import make_settings
from tests.webhooks.conftest import (
    CREATE_ENDPOINT,
    DELETE_ENDPOINT,
    ENDPOINTS,
    create_endpoint,
    endpoint_view,
    superuser_token,
    until_settled,
)

if TYPE_CHECKING:
    from tests.webhooks.conftest import HooksApp
    from tests.webhooks.receiver import Receiver

ALL_TYPES = ["user.registered", "referral.joined", "code.created", "code.deleted"]


async def test_only_superusers_manage_endpoints(api: Api) -> None:
    _, token = await api.signed_up()
    create = {"input": {"url": "https://hooks.example.com/in"}}
    for query, variables in [
        (CREATE_ENDPOINT, create),
        (DELETE_ENDPOINT, {"id": "1"}),
        (ENDPOINTS, {}),
    ]:
        assert await api.error_code(query, variables) == "UNAUTHENTICATED"
        assert await api.error_code(query, variables, token=token) == "FORBIDDEN"


async def test_a_superuser_creates_lists_and_deletes_an_endpoint(
    hooks_app: HooksApp, backend: dict[str, object]
) -> None:
    async with hooks_app() as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, "https://hooks.example.com/in")
        endpoint = created["endpoint"]
        listed = await endpoint_view(api, token, endpoint["id"])
        async with database(api.app) as session:
            row = (await session.exec(select(WebhookEndpoint))).one()
        await api.gql(DELETE_ENDPOINT, {"id": endpoint["id"]}, token=token)
        remaining = (await api.gql(ENDPOINTS, token=token))["webhookEndpoints"]
        again = await api.error_code(DELETE_ENDPOINT, {"id": endpoint["id"]}, token=token)

    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert endpoint["url"] == "https://hooks.example.com/in"
    assert endpoint["eventTypes"] == ALL_TYPES
    assert endpoint["disabledAt"] is None
    assert listed["deliveries"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
    # At rest the secret is sealed: nothing of it in the row, and only SECRET_KEY opens it.
    encoded = secret.removeprefix("whsec_")
    assert encoded not in row.secret_sealed
    assert secret not in row.secret_sealed
    key = make_settings(backend).signing_key
    assert SecretBox(key=key, purpose=b"webhook endpoint secret").open(row.secret_sealed) == secret
    with pytest.raises(ValueError, match="cannot be opened"):
        SecretBox(key=key + "x", purpose=b"webhook endpoint secret").open(row.secret_sealed)
    assert remaining == []
    assert again == "NOT_FOUND"


async def test_the_secret_is_never_shown_again(api: Api) -> None:
    with pytest.raises(GraphQLErrors, match="secret"):
        await api.gql("{ webhookEndpoints { id secret } }")


@pytest.mark.parametrize(
    ("url", "event_types"),
    [
        ("ftp://hooks.example.com/in", None),
        ("hooks.example.com/in", None),
        ("https://user:pw@hooks.example.com/in", None),
        ("https:///in", None),
        ("https://hooks.example.com/" + "x" * 2048, None),
        ("https://hooks.example.com/in", []),
        ("https://hooks.example.com/in", ["user.deleted"]),
    ],
)
async def test_an_unacceptable_endpoint_is_bad_user_input(
    api: Api, url: str, event_types: list[str] | None
) -> None:
    token = await superuser_token(api)
    variables = {"input": {"url": url, "eventTypes": event_types}}
    assert await api.error_code(CREATE_ENDPOINT, variables, token=token) == "BAD_USER_INPUT"
    assert (await api.gql(ENDPOINTS, token=token))["webhookEndpoints"] == []


async def test_event_types_are_kept_once_each(hooks_app: HooksApp) -> None:
    async with hooks_app() as api:
        token = await superuser_token(api)
        types = ["code.deleted", "code.created", "code.deleted"]
        created = await create_endpoint(api, token, "http://127.0.0.1:9/in", types)
    assert created["endpoint"]["eventTypes"] == ["code.deleted", "code.created"]


async def test_deliveries_are_paged_newest_first(hooks_app: HooksApp, receiver: Receiver) -> None:
    async with hooks_app() as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url(), ["user.registered"])
        endpoint_id = created["endpoint"]["id"]
        users = [await api.register() for _ in range(3)]
        await until_settled(api, token, endpoint_id, 3)
        first = (await endpoint_view(api, token, endpoint_id, first=2))["deliveries"]
        after = first["pageInfo"]["endCursor"]
        rest = (await endpoint_view(api, token, endpoint_id, first=2, after=after))["deliveries"]
        bad_size = await api.error_code(ENDPOINTS, {"first": 0}, token=token)
        bad_cursor = await api.error_code(ENDPOINTS, {"after": "nope"}, token=token)
    calls = {call.headers["webhook-id"]: call for call in receiver.calls()}
    paged = [edge["node"]["eventId"] for edge in first["edges"] + rest["edges"]]
    bodies = [json.loads(calls[event_id].body) for event_id in paged]
    assert [body["data"]["user"]["id"] for body in bodies] == [u["id"] for u in reversed(users)]
    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"]["hasNextPage"] is False
    assert len(rest["edges"]) == 1
    assert bad_size == bad_cursor == "BAD_USER_INPUT"
