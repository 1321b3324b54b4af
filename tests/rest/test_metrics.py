"""REST calls in /metrics: counted by route template and outcome, errors by contract code."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from app.services.codes import Codes
from tests.api import Api, limit_of, unique_client, unique_email
from tests.metrics import scrape
from tests.rest.helpers import create_code, signed_up

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette

LOOKUP = "GET /referrals/code_by_email/{email}"
ERRORS = "referrals_errors_total"
CACHE = "referrals_code_cache_lookups_total"


async def test_code_lookups_count_under_their_route_template_with_the_cache_hits(
    api: Api,
) -> None:
    user, headers = await signed_up(api)
    await create_code(api, headers)
    before = await scrape(api.http)
    for _ in range(3):
        response = await api.http.get(f"/referrals/code_by_email/{user['email']}")
        assert response.status_code == 200
    after = await scrape(api.http)
    changed = after.minus(before)
    assert changed.requests("rest", LOOKUP) == 3
    seconds = "referrals_request_duration_seconds_sum"
    assert changed.value(seconds, transport="rest", operation=LOOKUP, outcome="ok") > 0
    # Creating the code invalidated the cached lookup: the first reads the database.
    assert changed.value(CACHE, lookup="by_email", result="miss") == 1
    assert changed.value(CACHE, lookup="by_email", result="hit") == 2
    assert user["email"] not in after.text


async def test_errors_count_by_contract_code_and_as_client_errors(api: Api) -> None:
    before = await scrape(api.http)
    missing = await api.http.get(f"/referrals/code_by_email/{unique_email()}")
    anonymous = await api.http.post("/referrals/create_code", json={"expiration": "2030-01-01"})
    unreadable = await api.http.get("/referrals/by_id/not-a-number")
    assert (missing.status_code, anonymous.status_code, unreadable.status_code) == (404, 401, 422)
    changed = (await scrape(api.http)).minus(before)
    assert changed.value(ERRORS, transport="rest", code="NOT_FOUND") == 1
    assert changed.value(ERRORS, transport="rest", code="UNAUTHENTICATED") == 1
    assert changed.value(ERRORS, transport="rest", code="BAD_USER_INPUT") == 1
    assert changed.requests("rest", LOOKUP, "client_error") == 1
    assert changed.requests("rest", "POST /referrals/create_code", "client_error") == 1
    assert changed.requests("rest", "GET /referrals/by_id/{id}", "client_error") == 1


async def test_an_unexpected_failure_counts_as_a_server_error(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database said no")

    monkeypatch.setattr(Codes, "active_by_email", broken)
    before = await scrape(api.http)
    response = await api.http.get(f"/referrals/code_by_email/{unique_email()}")
    assert response.status_code == 500
    changed = (await scrape(api.http)).minus(before)
    assert changed.requests("rest", LOOKUP, "server_error") == 1
    assert changed.value(ERRORS, transport="rest", code="INTERNAL_SERVER_ERROR") == 1


async def test_paths_that_are_no_operation_are_not_counted(api: Api) -> None:
    before = await scrape(api.http)
    assert (await api.http.get("/no/such/path")).status_code == 404
    assert (await api.http.get("/health/live")).status_code == 200
    changed = (await scrape(api.http)).minus(before)
    assert changed.labels_of("referrals_request_duration_seconds_count") == []


@pytest.fixture
async def limited(limited_app: Starlette) -> AsyncIterator[Api]:
    async with Api.connect(limited_app, client=unique_client()) as client:
        yield client


async def test_rate_limit_refusals_count_by_action_and_limit(limited: Api) -> None:
    before = await scrape(limited.http)
    email = unique_email()
    for _ in range(limit_of("code_by_email", "client")):
        assert (await limited.http.get(f"/referrals/code_by_email/{email}")).status_code == 404
    assert (await limited.http.get(f"/referrals/code_by_email/{email}")).status_code == 429
    changed = (await scrape(limited.http)).minus(before)
    refusals = "referrals_rate_limit_refusals_total"
    assert changed.value(refusals, action="code_by_email", scope="client") == 1
    assert changed.value(ERRORS, transport="rest", code="RATE_LIMITED") == 1
