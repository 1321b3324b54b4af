"""Clearbit's and Hunter's combined lookups over real loopback HTTP against the stand-ins."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from app.integrations import build_enricher
from app.integrations.enrichment import CombinedLookup, LookupResult, LookupStatus, ProfileData
from tests.integrations.support import isolated_settings
from tests.standins import clearbit_error, hunter_error, person, still_running

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    from tests.standins import Answer, ClearbitStandin, HunterStandin

ADA = ProfileData(
    full_name="Ada Lovelace",
    given_name="Ada",
    family_name="Lovelace",
    location="London, England, GB",
    company="Analytical Engines",
    company_domain="engines.example",
    title="Chief Mathematician",
    avatar_url="https://avatars.example.com/ada.png",
)


@pytest.fixture
def clearbit_lookup(clearbit: ClearbitStandin, http: httpx.AsyncClient) -> CombinedLookup:
    return CombinedLookup.clearbit(api_key=clearbit.api_key, base_url=clearbit.base_url, http=http)


@pytest.fixture
def hunter_lookup(hunter: HunterStandin, http: httpx.AsyncClient) -> CombinedLookup:
    return CombinedLookup.hunter(api_key=hunter.api_key, base_url=hunter.base_url, http=http)


async def test_clearbit_finds_a_person_with_the_key_as_a_bearer_token(
    clearbit: ClearbitStandin, clearbit_lookup: CombinedLookup, new_email: Callable[[], str]
) -> None:
    email = new_email()
    clearbit.combined.script(email, person())

    result = await clearbit_lookup.lookup(email)

    assert result == LookupResult(LookupStatus.FOUND, profile=ADA)
    [request] = clearbit.combined.received(email)
    assert request.headers["authorization"] == f"Bearer {clearbit.api_key}"
    assert clearbit.api_key not in request.url


async def test_hunter_finds_a_person_in_clearbit_format_with_the_key_in_a_header(
    hunter: HunterStandin, hunter_lookup: CombinedLookup, new_email: Callable[[], str]
) -> None:
    email = new_email()
    hunter.combined.script(email, person())

    result = await hunter_lookup.lookup(email)

    assert result == LookupResult(LookupStatus.FOUND, profile=ADA)
    [request] = hunter.combined.received(email)
    assert request.query["clearbit_format"] == "true"
    assert request.headers["x-api-key"] == hunter.api_key
    assert "api_key" not in request.query


async def test_a_company_alone_still_tells_where_the_person_works(
    clearbit: ClearbitStandin, clearbit_lookup: CombinedLookup, new_email: Callable[[], str]
) -> None:
    email = new_email()
    clearbit.combined.script(email, person(full_name=None, location=None, avatar=None, title=None))

    result = await clearbit_lookup.lookup(email)

    assert result.profile == ProfileData(
        company="Analytical Engines", company_domain="engines.example"
    )


async def test_an_avatar_that_is_not_a_web_url_is_dropped(
    clearbit: ClearbitStandin, clearbit_lookup: CombinedLookup, new_email: Callable[[], str]
) -> None:
    email = new_email()
    clearbit.combined.script(email, person(avatar="javascript:alert(1)"))

    result = await clearbit_lookup.lookup(email)

    assert result.profile is not None
    assert result.profile.avatar_url is None
    assert result.profile.full_name == "Ada Lovelace"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (still_running(), LookupResult(LookupStatus.PENDING)),
        (clearbit_error(404), LookupResult(LookupStatus.NOT_FOUND)),
        (
            person(
                full_name=None, location=None, avatar=None, company=None, domain=None, title=None
            ),
            LookupResult(LookupStatus.NOT_FOUND),
        ),
        (clearbit_error(429, retry_after=7), LookupResult(LookupStatus.RETRY, retry_after=7.0)),
        (clearbit_error(500), LookupResult(LookupStatus.RETRY)),
        (clearbit_error(422), LookupResult(LookupStatus.FAILED)),
    ],
)
async def test_clearbit_answers_map_to_lookup_results(
    clearbit: ClearbitStandin,
    clearbit_lookup: CombinedLookup,
    new_email: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
    answer: Answer,
    expected: LookupResult,
) -> None:
    caplog.set_level(logging.DEBUG)
    email = new_email()
    clearbit.combined.script(email, answer)

    assert await clearbit_lookup.lookup(email) == expected
    assert clearbit.api_key not in caplog.text


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, LookupStatus.NOT_FOUND), (403, LookupStatus.RETRY), (401, LookupStatus.FAILED)],
)
async def test_hunter_errors_map_to_lookup_results(
    hunter: HunterStandin,
    hunter_lookup: CombinedLookup,
    new_email: Callable[[], str],
    status: int,
    expected: LookupStatus,
) -> None:
    email = new_email()
    hunter.combined.script(email, hunter_error(status))

    assert (await hunter_lookup.lookup(email)).status is expected


async def test_a_wrong_key_is_a_failure_not_worth_retrying(
    clearbit: ClearbitStandin, http: httpx.AsyncClient, new_email: Callable[[], str]
) -> None:
    lookup = CombinedLookup.clearbit(api_key="sk_wrong", base_url=clearbit.base_url, http=http)

    assert (await lookup.lookup(new_email())).status is LookupStatus.FAILED


async def test_build_enricher_prefers_clearbit_then_hunter_and_can_be_turned_off(
    hunter: HunterStandin,
    clearbit: ClearbitStandin,
    http: httpx.AsyncClient,
    new_email: Callable[[], str],
) -> None:
    email = new_email()
    both = isolated_settings(**hunter.settings(), **clearbit.settings())
    hunter_only = isolated_settings(**hunter.settings())

    assert build_enricher(isolated_settings(), http) is None
    assert build_enricher(both.model_copy(update={"enrichment_enabled": False}), http) is None
    for settings in (both, hunter_only):
        enricher = build_enricher(settings, http)
        assert enricher is not None
        await enricher.lookup(email)

    assert len(clearbit.combined.received(email)) == 1
    assert len(hunter.combined.received(email)) == 1
