"""GraphQL subscriptions over a real WebSocket (graphql-transport-ws): who may connect, how many
subscriptions a connection holds, and when a connection ends."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlmodel import col, update

from app.graphql.live import MAX_SUBSCRIPTIONS
from app.main import create_app
from app.models import User
from app.security import TokenCodec
from tests.api import PASSWORD, Api, database, unique_email
from tests.conftest import make_settings, running
from tests.faults.private_servers import require_binary
from tests.graphql_ws import REFERRAL_JOINED, GraphQLWS, served
from tests.metrics import scrape
from tests.servers import skip_or_fail

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette

CHECK_INTERVAL = 0.5
SHORT_TTL = 3
FRONT_END = "https://app.example.com"
LOGOUT = "mutation { logout }"
OPEN = "referrals_subscriptions_open"


@pytest.fixture(scope="module")
async def live_app(backend: dict[str, Any]) -> AsyncIterator[Starlette]:
    """An app that checks revocations every half second, and lets one front end use cookies."""
    settings = make_settings(
        backend, subscription_check_interval=CHECK_INTERVAL, cors_origins=[FRONT_END]
    )
    async with running(create_app(settings)) as started:
        yield started


@pytest.fixture(scope="module")
async def live(live_app: Starlette) -> AsyncIterator[str]:
    async with served(live_app) as base:
        yield base


@pytest.fixture
async def live_api(live_app: Starlette) -> AsyncIterator[Api]:
    async with Api.connect(live_app) as client:
        yield client


async def subscribed(client: GraphQLWS, token: str) -> str:
    """Initialise with the token and subscribe; the subscription's id once it listens."""
    await client.init_with_token(token)
    operation = await client.subscribe()
    await asyncio.sleep(0.1)  # the server subscribes after reading the message
    return operation


async def forbidden(live: str, payload: dict[str, Any], **connect: Any) -> tuple[Any, Any]:
    async with GraphQLWS.connect(live, **connect) as client:
        await client.send({"type": "connection_init", "payload": payload})
        return await client.closed()


async def test_a_token_in_connection_init_is_acknowledged(live: str, live_api: Api) -> None:
    _, token = await live_api.signed_up()
    async with GraphQLWS.connect(live) as client:
        ack = await client.init_with_token(token)
        assert ack == {"type": "connection_ack"}
        operation = await client.subscribe()
        await client.send({"type": "ping"})
        assert await client.control() == {"type": "pong"}
        assert client.pending(operation) == 0


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"authorization": 42},
    ],
    ids=["missing", "garbage", "not-bearer", "empty", "not-a-string"],
)
async def test_without_a_valid_token_the_socket_closes_with_4403(
    live: str, payload: dict[str, Any]
) -> None:
    code, _ = await forbidden(live, payload)
    assert code == 4403


async def test_an_expired_token_closes_with_4403(live: str, live_api: Api) -> None:
    user, _ = await live_api.signed_up()
    settings = live_api.app.state.runtime.settings
    expired = TokenCodec(
        key=settings.signing_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=-10,
    ).encode(int(user["id"]))
    code, _ = await forbidden(live, {"Authorization": f"Bearer {expired}"})
    assert code == 4403


async def test_a_revoked_token_closes_with_4403(live: str, live_api: Api) -> None:
    _, token = await live_api.signed_up()
    assert await live_api.gql(LOGOUT, token=token) == {"logout": True}
    code, _ = await forbidden(live, {"Authorization": f"Bearer {token}"})
    assert code == 4403


async def test_a_token_of_another_deployment_closes_with_4403(live: str, live_api: Api) -> None:
    user, _ = await live_api.signed_up()
    settings = live_api.app.state.runtime.settings
    foreign = TokenCodec(
        key="another-deployment-key-long-enough-for-hs256",
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=60,
    ).encode(int(user["id"]))
    code, _ = await forbidden(live, {"Authorization": f"Bearer {foreign}"})
    assert code == 4403


async def login_cookie(api: Api) -> str:
    """A new user's auth cookie, as POST /auth/login sets it: `name=value`."""
    email = unique_email()
    await api.register(email)
    form = {"username": email, "password": PASSWORD}
    response = await api.http.post("/auth/login", data=form)
    assert response.status_code in (200, 204), response.text
    name = api.app.state.runtime.settings.auth_cookie_name
    return f"{name}={response.cookies[name]}"


@pytest.mark.parametrize(
    "origin", [None, "same", FRONT_END], ids=["no-origin", "same-origin", "cors-origin"]
)
async def test_the_auth_cookie_authenticates_from_origins_cors_admits(
    live: str, live_api: Api, origin: str | None
) -> None:
    cookie = await login_cookie(live_api)
    sent_origin = f"http://{live}" if origin == "same" else origin
    async with GraphQLWS.connect(live, cookie=cookie, origin=sent_origin) as client:
        assert await client.init() == {"type": "connection_ack"}


async def test_the_auth_cookie_from_another_site_is_not_used(live: str, live_api: Api) -> None:
    """A page elsewhere could open a socket with the visitor's cookie: it is refused (CSRF)."""
    cookie = await login_cookie(live_api)
    code, _ = await forbidden(live, {}, cookie=cookie, origin="https://evil.example")
    assert code == 4403


async def test_a_token_in_the_payload_works_from_any_origin(live: str, live_api: Api) -> None:
    """No ambient credential: a page elsewhere can only use a token it holds itself."""
    _, token = await live_api.signed_up()
    async with GraphQLWS.connect(live, origin="https://elsewhere.example") as client:
        assert await client.init_with_token(token) == {"type": "connection_ack"}


async def test_a_bad_payload_token_is_not_rescued_by_the_cookie(live: str, live_api: Api) -> None:
    cookie = await login_cookie(live_api)
    code, _ = await forbidden(live, {"Authorization": "Bearer not-a-jwt"}, cookie=cookie)
    assert code == 4403


async def test_the_eleventh_subscription_is_refused_and_the_ten_go_on(
    live: str, live_api: Api
) -> None:
    _, token = await live_api.signed_up()
    async with GraphQLWS.connect(live) as client:
        await client.init_with_token(token)
        operations = [await client.subscribe() for _ in range(MAX_SUBSCRIPTIONS)]
        eleventh = await client.subscribe()
        refused = await client.message(eleventh)
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "SUBSCRIPTION_LIMIT_REACHED"
        assert client.close_code is None
        # Completing one makes room for another.
        await client.complete(operations[0])
        await asyncio.sleep(0.1)
        again = await client.subscribe()
        await client.send({"type": "ping"})
        assert await client.control() == {"type": "pong"}
        assert client.pending(again) == 0
        assert all(client.pending(operation) == 0 for operation in operations)


async def test_logout_ends_the_subscription_within_the_check_interval(
    live: str, live_api: Api
) -> None:
    _, token = await live_api.signed_up()
    async with GraphQLWS.connect(live) as client:
        await subscribed(client, token)
        started = time.monotonic()
        assert await live_api.gql(LOGOUT, token=token) == {"logout": True}
        code, reason = await client.closed(within=CHECK_INTERVAL * 4)
        assert (code, reason) == (4403, "Token revoked")
        assert time.monotonic() - started < CHECK_INTERVAL * 2 + 0.5


async def test_a_logout_through_another_instance_ends_it_too(
    live: str, live_api: Api, api: Api
) -> None:
    """The revocation is read from the database, where every instance writes it."""
    _, token = await live_api.signed_up()
    async with GraphQLWS.connect(live) as client:
        await subscribed(client, token)
        assert await api.gql(LOGOUT, token=token) == {"logout": True}
        code, reason = await client.closed(within=CHECK_INTERVAL * 4)
        assert (code, reason) == (4403, "Token revoked")


async def test_the_subscription_ends_when_its_token_expires(backend: dict[str, Any]) -> None:
    settings = make_settings(backend, access_token_ttl=SHORT_TTL, subscription_check_interval=30)
    async with running(create_app(settings)) as app, served(app) as base, Api.connect(app) as api:
        _, token = await api.signed_up()
        async with GraphQLWS.connect(base) as client:
            started = time.monotonic()
            await subscribed(client, token)
            code, reason = await client.closed(within=SHORT_TTL + 3)
            assert (code, reason) == (4403, "Token expired")
            assert time.monotonic() - started <= SHORT_TTL + 1.5


async def test_the_open_subscriptions_are_counted(live: str, live_api: Api) -> None:
    _, token = await live_api.signed_up()
    before = (await scrape(live_api.http)).value(OPEN)
    async with GraphQLWS.connect(live) as client:
        await subscribed(client, token)
        await client.subscribe()
        await asyncio.sleep(0.1)
        assert (await scrape(live_api.http)).value(OPEN) == before + 2
    await asyncio.sleep(0.2)
    assert (await scrape(live_api.http)).value(OPEN) == before


async def test_the_legacy_graphql_ws_protocol_is_not_served(live: str) -> None:
    async with GraphQLWS.connect(live, subprotocols=["graphql-ws"]) as client:
        code, _ = await client.closed()
    assert code == 4406


async def test_queries_and_mutations_do_not_run_over_websocket(live: str, live_api: Api) -> None:
    _, token = await live_api.signed_up()
    async with GraphQLWS.connect(live) as client:
        await client.init_with_token(token)
        for document in ("{ me { id } }", LOGOUT):
            answer = await client.message(await client.subscribe(document))
            assert answer["type"] == "error", answer
            assert answer["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    me = await live_api.gql("{ me { id } }", token=token)  # the token was not logged out
    assert me["me"]["id"]


async def test_a_bad_subscription_document_gets_a_coded_error(live: str, live_api: Api) -> None:
    _, token = await live_api.signed_up()
    async with GraphQLWS.connect(live) as client:
        await client.init_with_token(token)
        unknown = await client.message(await client.subscribe("subscription { nope }"))
        assert unknown["type"] == "error"
        assert unknown["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_subscribing_before_connection_init_closes_with_4401(live: str) -> None:
    async with GraphQLWS.connect(live) as client:
        await client.subscribe()
        code, _ = await client.closed()
    assert code == 4401


async def test_a_subscription_over_http_is_refused_before_it_runs(api: Api) -> None:
    """A request error, as the view answers those: 400 for graphql-response+json clients."""
    for accept, status in (("application/json", 200), ("application/graphql-response+json", 400)):
        response = await api.http.post(
            "/graphql", json={"query": REFERRAL_JOINED}, headers={"accept": accept}
        )
        assert response.status_code == status
        body = response.json()
        assert body.get("data") is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]
    response = await api.http.get("/graphql", params={"query": REFERRAL_JOINED})
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_http_view_still_answers_beside_the_websocket(live: str) -> None:
    """The same path serves HTTP as before: GraphiQL for a browser, operations by POST."""
    async with httpx.AsyncClient(base_url=f"http://{live}") as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200
        answer = await http.post("/graphql", json={"query": "{ __typename }"})
        assert answer.json() == {"data": {"__typename": "Query"}}


JOINED_WITH_MORE = """
subscription {
  referralJoined {
    cursor
    node { id email createdAt isVerified referrer { id email } referralCode { code } }
  }
}"""
REFERRALS = """
query R($id: ID!) { referralsById(id: $id) { edges { cursor node { id email createdAt } } } }"""


async def referrer_with_code(api: Api) -> tuple[dict[str, Any], str, str]:
    """A new user with an active code: the user, their access token, the code."""
    user, token = await api.signed_up()
    code = (await api.create_code(token))["code"]
    return user, token, code


async def test_a_referral_reaches_every_subscription_of_its_referrer(
    live: str, live_api: Api
) -> None:
    referrer, token, code = await referrer_with_code(live_api)
    async with GraphQLWS.connect(live) as first, GraphQLWS.connect(live) as second:
        one = await subscribed(first, token)
        two = await first.subscribe()
        three = await subscribed(second, token)
        email = unique_email()
        referee = await live_api.register(email, code=code)
        heard = [await first.next_data(one), await first.next_data(two)]
        heard.append(await second.next_data(three))
    listed = (await live_api.gql(REFERRALS, {"id": referrer["id"]}))["referralsById"]["edges"]
    assert len(listed) == 1
    for data in heard:
        edge = data["referralJoined"]
        assert edge["cursor"] == listed[0]["cursor"]
        node = edge["node"]
        assert node["id"] == referee["id"]
        assert node["email"] == listed[0]["node"]["email"] != email  # masked, as in the list
        assert node["email"].endswith("@example.com")
        assert node["createdAt"] == listed[0]["node"]["createdAt"]
        assert node["isVerified"] is False


async def test_only_the_referrer_hears_of_a_referral(live: str, live_api: Api) -> None:
    _, token, code = await referrer_with_code(live_api)
    _, other_token, _ = await referrer_with_code(live_api)
    async with GraphQLWS.connect(live) as mine, GraphQLWS.connect(live) as theirs:
        my_subscription = await subscribed(mine, token)
        their_subscription = await subscribed(theirs, other_token)
        await live_api.register(code=code)
        await mine.next_data(my_subscription)
        await live_api.register()  # no code: nobody's referral
        await asyncio.sleep(0.5)
        assert theirs.pending(their_subscription) == 0
        assert mine.pending(my_subscription) == 0


async def test_referrals_arrive_in_the_order_they_joined(live: str, live_api: Api) -> None:
    _, token, code = await referrer_with_code(live_api)
    async with GraphQLWS.connect(live) as client:
        operation = await subscribed(client, token)
        joined = [(await live_api.register(code=code))["id"] for _ in range(3)]
        heard = [(await client.next_data(operation))["referralJoined"] for _ in joined]
    assert [edge["node"]["id"] for edge in heard] == joined


async def test_the_node_is_answered_with_fresh_reads(live: str, live_api: Api) -> None:
    """Nested fields are read when the event is answered: the referee's referrer (whole email,
    it is the viewer) and the referee's own code, which it did not have a moment before."""
    referrer, token, code = await referrer_with_code(live_api)
    async with GraphQLWS.connect(live) as client:
        await client.init_with_token(token)
        operation = await client.subscribe(JOINED_WITH_MORE)
        await asyncio.sleep(0.1)
        await live_api.register(code=code)
        first = (await client.next_data(operation))["referralJoined"]["node"]
        assert first["referrer"] == {"id": referrer["id"], "email": referrer["email"]}
        assert first["referralCode"] is None
        second_email = unique_email()
        await live_api.register(second_email, code=code)
        second = (await client.next_data(operation))["referralJoined"]["node"]
        assert second["referrer"]["id"] == referrer["id"]


async def test_a_superuser_sees_the_email_whole(live: str, live_api: Api) -> None:
    referrer, token, code = await referrer_with_code(live_api)
    async with database(live_api.app) as session:
        await session.exec(
            update(User).where(col(User.id) == int(referrer["id"])).values(is_superuser=True)
        )
        await session.commit()
    async with GraphQLWS.connect(live) as client:
        operation = await subscribed(client, token)
        email = unique_email()
        await live_api.register(email, code=code)
        node = (await client.next_data(operation))["referralJoined"]["node"]
    assert node["email"] == email


# The README's Node example, run as it is with the graphql-ws library (the protocol's reference
# client) against the served app: pinned, installed by npm into a folder of the session.
NODE_PACKAGES = {"graphql-ws": "6.4.2", "ws": "8.23.0", "graphql": "16.15.0"}
README = Path(__file__).resolve().parents[2] / "README.md"
NPM_TIMEOUT = 180.0


def plain_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}


def readme_example(language: str) -> str:
    """The code block of this language in the README's Live subscriptions section."""
    section = README.read_text().split("## Live subscriptions", 1)[1].split("\n## ", 1)[0]
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="session")
async def graphql_ws_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose node_modules holds the pinned graphql-ws and ws."""
    npm = require_binary("npm", "npm")
    folder = tmp_path_factory.mktemp("graphql-ws")
    (folder / "package.json").write_text(
        json.dumps({"private": True, "dependencies": NODE_PACKAGES})
    )
    install = await asyncio.create_subprocess_exec(
        *(npm, "install", "--prefer-offline", "--ignore-scripts", "--no-package-lock"),
        *("--no-audit", "--no-fund", "--loglevel=error"),
        cwd=folder,
        env=plain_env(),
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(NPM_TIMEOUT):
        _, stderr = await install.communicate()
    if install.returncode != 0:
        skip_or_fail(f"npm install {NODE_PACKAGES} failed: {stderr.decode().strip()[-300:]}")
    return folder


async def test_the_readme_node_example_hears_a_referral(
    live: str, live_api: Api, graphql_ws_client: Path
) -> None:
    node = require_binary("Node.js", "node", "nodejs")
    _, token, code = await referrer_with_code(live_api)
    script = graphql_ws_client / f"subscribe-{uuid.uuid4().hex}.mjs"
    script.write_text(readme_example("js").replace("127.0.0.1:8000", live))
    process = await asyncio.create_subprocess_exec(
        node, str(script), token, env=plain_env(), stdout=asyncio.subprocess.PIPE
    )
    try:
        before = (await scrape(live_api.http)).value(OPEN)
        async with asyncio.timeout(20):
            while (await scrape(live_api.http)).value(OPEN) <= before:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        referee = await live_api.register(code=code)
        assert process.stdout is not None
        async with asyncio.timeout(10):
            line = (await process.stdout.readline()).decode()
        node = json.loads(line)
        assert node["id"] == referee["id"]
        assert node["email"].endswith("@example.com")
    finally:
        process.kill()
        await process.wait()


async def test_the_readme_python_example_hears_a_referral(
    live: str, live_api: Api, tmp_path: Path
) -> None:
    _, token, code = await referrer_with_code(live_api)
    script = tmp_path / "subscribe.py"
    script.write_text(readme_example("python").replace("127.0.0.1:8000", live))
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), token, stdout=asyncio.subprocess.PIPE
    )
    try:
        before = (await scrape(live_api.http)).value(OPEN)
        async with asyncio.timeout(20):
            while (await scrape(live_api.http)).value(OPEN) <= before:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
        referee = await live_api.register(code=code)
        assert process.stdout is not None
        async with asyncio.timeout(10):
            line = (await process.stdout.readline()).decode()
        assert f"'id': '{referee['id']}'" in line
    finally:
        process.kill()
        await process.wait()
