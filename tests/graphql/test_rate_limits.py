"""Rate limits as a client meets them: RATE_LIMITED with retryAfter, one count per attempt."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from tests.api import (
    CODE_BY_EMAIL,
    LOGIN,
    PASSWORD,
    REGISTER,
    Api,
    limit_of,
    unique_client,
    unique_email,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.applications import Starlette

REFRESH = "mutation R($token: String!) { refreshToken(refreshToken: $token) { accessToken } }"


LOGINS_PER_ACCOUNT_AND_CLIENT = limit_of("login", "account_client")
LOGINS_PER_ACCOUNT = limit_of("login", "account")
LOGINS_PER_CLIENT = limit_of("login", "client")


@pytest.fixture
def connect(limited_app: Starlette) -> Callable[[], Any]:
    """Clients of the rate-limited app, each from an address of its own."""
    return lambda: Api.connect(limited_app, client=unique_client())


async def registered(connect: Callable[[], Any]) -> str:
    async with connect() as api:
        return (await api.register())["email"]


async def login_codes(api: Api, email: str, attempts: int) -> list[str]:
    """The error codes of `attempts` sign-ins with a wrong password, one after the other."""
    variables = {"input": {"email": email, "password": "wrong password"}}
    return [await api.error_code(LOGIN, variables) for _ in range(attempts)]


async def test_logins_past_the_limit_are_rate_limited_with_retry_after(
    connect: Callable[[], Any],
) -> None:
    email = await registered(connect)
    async with connect() as api:
        codes = await login_codes(api, email, LOGINS_PER_ACCOUNT_AND_CLIENT)
        assert codes == ["UNAUTHENTICATED"] * LOGINS_PER_ACCOUNT_AND_CLIENT
        body = await api.post_graphql(LOGIN, {"input": {"email": email, "password": PASSWORD}})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= error["extensions"]["retryAfter"] <= 60


async def test_aliased_logins_count_one_by_one(connect: Callable[[], Any]) -> None:
    email = await registered(connect)
    attempts = LOGINS_PER_ACCOUNT_AND_CLIENT + 1
    fields = " ".join(
        f"l{index}: login(input: $input) {{ accessToken }}" for index in range(attempts)
    )
    query = f"mutation L($input: LoginInput!) {{ {fields} }}"
    async with connect() as api:
        body = await api.post_graphql(query, {"input": {"email": email, "password": PASSWORD}})
    assert [error["path"] for error in body["errors"]] == [[f"l{attempts - 1}"]]
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_victim_still_signs_in_from_another_address(connect: Callable[[], Any]) -> None:
    email = await registered(connect)
    async with connect() as attacker:
        await login_codes(attacker, email, LOGINS_PER_ACCOUNT_AND_CLIENT)
        assert await login_codes(attacker, email, 1) == ["RATE_LIMITED"]
    async with connect() as victim:
        assert (await victim.login(email))["user"]["email"] == email


async def test_guessing_spread_over_addresses_meets_the_account_limit(
    connect: Callable[[], Any],
) -> None:
    email = await registered(connect)
    attackers = LOGINS_PER_ACCOUNT // LOGINS_PER_ACCOUNT_AND_CLIENT
    for _ in range(attackers):
        async with connect() as attacker:
            await login_codes(attacker, email, LOGINS_PER_ACCOUNT_AND_CLIENT)
    async with connect() as another:
        assert await login_codes(another, email, 1) == ["RATE_LIMITED"]


async def test_one_address_trying_many_accounts_meets_the_client_limit(
    connect: Callable[[], Any],
) -> None:
    async with connect() as api:
        for _ in range(LOGINS_PER_CLIENT):
            assert await login_codes(api, unique_email(), 1) == ["UNAUTHENTICATED"]
        assert await login_codes(api, unique_email(), 1) == ["RATE_LIMITED"]


async def test_parallel_logins_admit_exactly_the_limit(connect: Callable[[], Any]) -> None:
    email = await registered(connect)
    variables = {"input": {"email": email, "password": PASSWORD}}
    async with connect() as api:
        bodies = await asyncio.gather(*(api.post_graphql(LOGIN, variables) for _ in range(12)))
    signed_in = [body for body in bodies if "errors" not in body]
    limited = [body for body in bodies if body.get("errors")]
    assert len(signed_in) == LOGINS_PER_ACCOUNT_AND_CLIENT
    assert {body["errors"][0]["extensions"]["code"] for body in limited} == {"RATE_LIMITED"}


def aliased_lookups(count: int) -> str:
    fields = " ".join(f"c{index}: codeByEmail(email: $email) {{ code }}" for index in range(count))
    return f"query C($email: String!) {{ {fields} }}"


@pytest.mark.parametrize(
    ("action", "operation", "variables"),
    [
        ("register", REGISTER, {"input": {"email": "not an email", "password": PASSWORD}}),
        ("refresh_token", REFRESH, {"token": "not a refresh token"}),
        ("code_by_email", CODE_BY_EMAIL, {"email": "nobody@example.com"}),
    ],
)
async def test_each_limited_operation_counts_per_client(
    connect: Callable[[], Any], action: str, operation: str, variables: dict[str, Any]
) -> None:
    limit = limit_of(action, "client")
    async with connect() as api:
        for _ in range(limit):
            body = await api.post_graphql(operation, variables)
            assert "RATE_LIMITED" not in str(body)
        assert await api.error_code(operation, variables) == "RATE_LIMITED"
    async with connect() as neighbour:
        assert "RATE_LIMITED" not in str(await neighbour.post_graphql(operation, variables))


async def test_rate_limits_off_limits_nothing(api: Api) -> None:
    lookups = aliased_lookups(15)
    for _ in range(limit_of("code_by_email", "client") // 15 + 1):
        await api.gql(lookups, {"email": unique_email()})
