"""A logged-out token stays refused by every instance whatever Redis does: frozen, down, or
restarted with nothing kept. Two real instances share a PostgreSQL database and a private Redis
that the tests freeze (SIGSTOP), thaw, stop and start empty."""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import pytest

from tests.api import PASSWORD, unique_email
from tests.conftest import migrate
from tests.faults.private_servers import PrivatePostgres, PrivateRedis
from tests.instances import serving
from tests.servers import fresh_postgres_database, require_server

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    import httpx

    from tests.instances import Instance

REGISTER = "mutation R($input: RegisterInput!) { register(input: $input) { id } }"
LOGIN = "mutation L($input: LoginInput!) { login(input: $input) { accessToken } }"
LOGOUT = "mutation { logout }"
ME = "{ me { id } }"
# The instances bound each Redis call by 0.25 s; an answer must not wait much longer than that.
ANSWER_WITHIN = 1.5
RECOVER_WITHIN = 10.0


@pytest.fixture(scope="module")
def redis() -> Iterator[PrivateRedis]:
    """The private Redis of this module's instances."""
    server = PrivateRedis()
    server.start()
    yield server
    server.resume()
    server.stop()


@pytest.fixture
def redis_server(redis: PrivateRedis) -> Iterator[PrivateRedis]:
    """The module's Redis, running and thawed again once the test is done with it."""
    yield redis
    redis.resume()
    if redis.process is None:
        redis.start()


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    """A migrated PostgreSQL database of its own, shared by the module's instances."""
    async with fresh_postgres_database(require_server("PostgreSQL", "TEST_DATABASE_URL")) as url:
        await migrate(url)
        yield url


class Client:
    """One instance's GraphQL endpoint, spoken to as a front end would."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str = ""
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def sign_in(self, email: str) -> str:
        credentials = {"input": {"email": email, "password": PASSWORD}}
        return (await self.post(LOGIN, credentials))["data"]["login"]["accessToken"]

    async def logout(self, token: str) -> None:
        started = time.monotonic()
        assert await self.post(LOGOUT, token=token) == {"data": {"logout": True}}
        assert time.monotonic() - started < ANSWER_WITHIN

    async def me(self, token: str) -> Any:
        """`me` with this token, answered within ANSWER_WITHIN whatever Redis is doing."""
        started = time.monotonic()
        body = await self.post(ME, token=token)
        assert time.monotonic() - started < ANSWER_WITHIN
        return body

    async def accepts(self, token: str) -> bool:
        body = await self.me(token)
        if "errors" not in body:
            return True
        assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "REVOKED"}
        return False


class Instances:
    """Instances on one database and one Redis, started as the test asks for them."""

    def __init__(self, stack: AsyncExitStack, folder: Path, settings: dict[str, str]) -> None:
        self._stack = stack
        self._folder = folder
        self._settings = settings

    async def start(self) -> Client:
        """Another instance, which has seen nothing of what happened before it started."""
        folder = self._folder / f"instance-{uuid.uuid4().hex[:8]}"
        folder.mkdir()
        instance: Instance = await self._stack.enter_async_context(
            serving(folder, **self._settings)
        )
        return Client(await self._stack.enter_async_context(instance.client()))


class Pair:
    """Instances A and B, and the way to make a user signed in on A."""

    def __init__(self, a: Client, b: Client, instances: Instances) -> None:
        self.a, self.b = a, b
        self.instances = instances

    async def tokens(self) -> tuple[str, str]:
        """Two access tokens of a new user, both signed in on instance A."""
        email = unique_email()
        await self.a.post(REGISTER, {"input": {"email": email, "password": PASSWORD}})
        return await self.a.sign_in(email), await self.a.sign_in(email)


@pytest.fixture(scope="module")
async def pair(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis: PrivateRedis
) -> AsyncIterator[Pair]:
    """Instances A and B, started once for the module: each test signs up a user of its own."""
    settings = {"database_url": database_url, "redis_url": redis.url, "cache_timeout": "0.25"}
    async with AsyncExitStack() as stack:
        instances = Instances(stack, tmp_path_factory.mktemp("instances"), settings)
        a, b = await asyncio.gather(instances.start(), instances.start())
        yield Pair(a, b, instances)


async def until_redis_answers(client: Client) -> None:
    """Wait until the instance reaches Redis again (its readiness check also closes the
    store's breaker)."""
    deadline = time.monotonic() + RECOVER_WITHIN
    while (await client.http.get("/health/ready")).json()["checks"]["cache"] != "ok":
        assert time.monotonic() < deadline, f"Redis not back within {RECOVER_WITHIN} s"
        await asyncio.sleep(0.2)


async def test_a_logout_holds_on_another_instance_while_redis_is_frozen(
    pair: Pair, redis_server: PrivateRedis
) -> None:
    token, other_token = await pair.tokens()
    assert await pair.b.accepts(token)
    await pair.a.logout(token)
    assert not await pair.b.accepts(token)

    redis_server.pause()
    try:
        assert not await pair.b.accepts(token)
        assert not await pair.b.accepts(token)  # also once the breaker is open
        assert await pair.b.accepts(other_token)
    finally:
        redis_server.resume()
    assert not await pair.b.accepts(token)


async def test_a_logout_holds_after_redis_restarts_with_nothing_kept(
    pair: Pair, redis_server: PrivateRedis
) -> None:
    token, other_token = await pair.tokens()
    await pair.a.logout(token)
    assert not await pair.b.accepts(token)

    redis_server.stop()
    redis_server.start()  # empty: it kept nothing on disk
    await until_redis_answers(pair.b)

    assert not await pair.b.accepts(token)
    assert not await pair.a.accepts(token)
    assert await pair.b.accepts(other_token)
    newcomer = await pair.instances.start()
    assert not await newcomer.accepts(token)


async def test_a_logout_made_while_redis_is_down_holds_everywhere_and_after_it_returns(
    pair: Pair, redis_server: PrivateRedis
) -> None:
    token, other_token = await pair.tokens()
    assert await pair.b.accepts(token)

    redis_server.stop()
    await pair.a.logout(token)
    assert not await pair.b.accepts(token)
    assert await pair.b.accepts(other_token)

    redis_server.start()
    await until_redis_answers(pair.b)
    assert not await pair.b.accepts(token)
    assert await pair.b.accepts(other_token)


async def test_a_logout_made_while_redis_is_frozen_holds_after_it_thaws(
    pair: Pair, redis_server: PrivateRedis
) -> None:
    token, other_token = await pair.tokens()
    assert await pair.b.accepts(token)

    redis_server.pause()
    try:
        await pair.a.logout(token)
        assert not await pair.b.accepts(token)
    finally:
        redis_server.resume()

    # Redis kept everything it held before the freeze, and nothing of the logout.
    for _ in range(10):
        assert not await pair.b.accepts(token)
        await asyncio.sleep(0.3)
    assert await pair.b.accepts(other_token)


async def test_with_the_database_and_redis_down_an_instance_refuses_what_it_logged_out(
    postgres_cluster: PrivatePostgres, postgres_url: str, redis_server: PrivateRedis, app_on: Any
) -> None:
    async with app_on(postgres_url, redis_server.url) as api:
        user, token = await api.signed_up()
        other_token = (await api.login(user["email"]))["accessToken"]
        await api.gql(LOGOUT, token=token)

        postgres_cluster.stop()
        redis_server.stop()

        refused = await api.post_graphql(ME, token=token)
        assert refused["errors"][0]["extensions"] == {
            "code": "UNAUTHENTICATED",
            "reason": "REVOKED",
        }
        unanswered = await api.post_graphql(ME, token=other_token)
        assert unanswered["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
