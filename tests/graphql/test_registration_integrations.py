"""Registration with Hunter verification and Clearbit enrichment, against local stand-ins."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import select

from app.main import create_app
from app.models import User
from tests.api import LOGIN, PASSWORD, REGISTER, Api, database, unique_email
from tests.conftest import make_settings, running
from tests.standins.answers import hang, person, slow, verification

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette

    from tests.standins.server import ClearbitStandin, HunterStandin

ME_PROFILE = "{ me { profile { fullName givenName company title avatarUrl enrichedAt } } }"
BUDGET = 1.0


@pytest.fixture(scope="module")
async def integrated_app(
    backend: dict[str, Any], hunter: HunterStandin, clearbit: ClearbitStandin
) -> AsyncIterator[Starlette]:
    settings = make_settings(
        backend, email_check_budget=BUDGET, **hunter.settings(), **clearbit.settings()
    )
    async with running(create_app(settings)) as app:
        yield app


@pytest.fixture
async def client(integrated_app: Starlette) -> AsyncIterator[Api]:
    async with Api.connect(integrated_app) as api:
        yield api


async def stored_user(api: Api, email: str) -> User | None:
    async with database(api.app) as session:
        return (await session.exec(select(User).where(User.email == email))).first()


@pytest.mark.parametrize(
    ("status", "result"), [("invalid", None), ("disposable", None), ("accept_all", "undeliverable")]
)
async def test_an_address_the_verifier_rejects_creates_no_user(
    client: Api, hunter: HunterStandin, status: str, result: str | None
) -> None:
    email = unique_email()
    hunter.verifier.script(email, verification(status, result=result))
    variables = {"input": {"email": email, "password": PASSWORD}}
    assert await client.error_code(REGISTER, variables) == "EMAIL_REJECTED"
    assert await stored_user(client, email) is None
    login = {"input": {"email": email, "password": PASSWORD}}
    assert await client.error_code(LOGIN, login) == "UNAUTHENTICATED"


@pytest.mark.parametrize("status", ["valid", "webmail", "accept_all", "unknown"])
async def test_an_address_the_verifier_accepts_registers_with_its_outcome(
    client: Api, hunter: HunterStandin, status: str
) -> None:
    email = unique_email()
    hunter.verifier.script(email, verification(status))
    await client.register(email)
    user = await stored_user(client, email)
    assert user is not None
    assert user.email_check == status


async def test_a_hanging_verifier_does_not_hold_registration_past_its_budget(
    client: Api, hunter: HunterStandin
) -> None:
    email = unique_email()
    hunter.verifier.script(email, hang())
    started = time.perf_counter()
    await client.register(email)
    assert time.perf_counter() - started < BUDGET + 1.0
    user = await stored_user(client, email)
    assert user is not None
    assert user.email_check == "unverified"


async def test_a_slow_enrichment_does_not_slow_registration_and_fills_the_profile(
    client: Api, clearbit: ClearbitStandin
) -> None:
    email = unique_email()
    clearbit.combined.script(email, slow(person(full_name="Ada Lovelace"), 1.5))
    started = time.perf_counter()
    await client.register(email)
    assert time.perf_counter() - started < 1.0
    token = (await client.login(email))["accessToken"]
    assert (await client.gql(ME_PROFILE, token=token))["me"]["profile"] is None
    profile = await wait_for_profile(client, token)
    assert profile["fullName"] == "Ada Lovelace"
    assert profile["givenName"] == "Ada"
    assert profile["company"] == "Analytical Engines"
    assert profile["enrichedAt"] is not None
    assert clearbit.combined.received(email)[0].key == clearbit.api_key


async def wait_for_profile(api: Api, token: str, *, seconds: float = 6.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        profile = (await api.gql(ME_PROFILE, token=token))["me"]["profile"]
        if profile is not None:
            return profile
        await asyncio.sleep(0.1)
    raise AssertionError("the profile was never enriched")


async def test_an_enrichment_interrupted_by_a_restart_is_picked_up_at_start(
    backend: dict[str, Any], clearbit: ClearbitStandin
) -> None:
    email = unique_email()
    clearbit.combined.script(email, slow(person(full_name="Grace Hopper"), 30))
    settings = make_settings(backend, **clearbit.settings())
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        await api.register(email)  # the process "crashes" while the lookup hangs
    clearbit.combined.script(email, person(full_name="Grace Hopper"))
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        token = (await api.login(email))["accessToken"]
        profile = await wait_for_profile(api, token)
    assert profile["fullName"] == "Grace Hopper"


async def test_provider_keys_never_reach_the_logs(
    client: Api,
    hunter: HunterStandin,
    clearbit: ClearbitStandin,
    caplog: pytest.LogCaptureFixture,
) -> None:
    email = unique_email()
    hunter.verifier.script(email, hang())
    clearbit.combined.script(email, person())
    with caplog.at_level(logging.DEBUG):
        await client.register(email)
        token = (await client.login(email))["accessToken"]
        await wait_for_profile(client, token)
    logged = caplog.text
    assert "verif" in logged.lower()  # the failed check was logged, and without the key
    assert hunter.api_key not in logged
    assert clearbit.api_key not in logged
    assert PASSWORD not in logged
