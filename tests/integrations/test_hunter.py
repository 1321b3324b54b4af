"""Hunter's Email Verifier over real loopback HTTP against the stand-in."""

from __future__ import annotations

import logging
import socket
import time
from typing import TYPE_CHECKING, Any

import pytest

from app.integrations import build_email_verifier
from app.integrations.hunter import EmailCheck, EmailVerifier, verdict_key
from tests.integrations.support import isolated_settings
from tests.standins import Answer, hang, hunter_error, slow, still_running, verification

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    from app.cache import CacheStore
    from tests.standins import HunterStandin

BUDGET = 1.0
SHORT_BUDGET = 0.3


@pytest.fixture
def make_verifier(
    hunter: HunterStandin, http: httpx.AsyncClient, cache: CacheStore
) -> Callable[..., EmailVerifier]:
    def make(**overrides: Any) -> EmailVerifier:
        options: dict[str, Any] = {
            "api_key": hunter.api_key,
            "base_url": hunter.base_url,
            "http": http,
            "cache": cache,
            "budget": BUDGET,
            "fail_open": True,
            "poll_delay": 0.02,
        }
        return EmailVerifier(**(options | overrides))

    return make


@pytest.mark.parametrize(
    ("status", "accepted"),
    [
        ("valid", True),
        ("webmail", True),
        ("accept_all", True),
        ("unknown", True),
        ("invalid", False),
        ("disposable", False),
    ],
)
async def test_each_verdict_admits_or_rejects_the_address(
    make_verifier: Callable[..., EmailVerifier],
    hunter: HunterStandin,
    new_email: Callable[[], str],
    status: str,
    accepted: bool,
) -> None:
    email = new_email()
    hunter.verifier.script(email, verification(status))

    assert await make_verifier().check(email) == EmailCheck(outcome=status, accepted=accepted)


async def test_an_undeliverable_result_is_rejected_whatever_the_status(
    make_verifier: Callable[..., EmailVerifier], hunter: HunterStandin, new_email: Callable[[], str]
) -> None:
    email = new_email()
    hunter.verifier.script(email, verification("accept_all", result="undeliverable"))

    assert (await make_verifier().check(email)).accepted is False


async def test_an_answer_with_only_the_deprecated_result_is_understood(
    make_verifier: Callable[..., EmailVerifier], hunter: HunterStandin, new_email: Callable[[], str]
) -> None:
    email = new_email()
    hunter.verifier.script(email, Answer(body={"data": {"result": "undeliverable", "score": 3}}))

    assert await make_verifier().check(email) == EmailCheck(outcome="invalid", accepted=False)


async def test_an_unreadable_answer_is_unverified(
    make_verifier: Callable[..., EmailVerifier], hunter: HunterStandin, new_email: Callable[[], str]
) -> None:
    email = new_email()
    hunter.verifier.script(email, Answer(body={"data": {"status": "maybe"}}))

    assert await make_verifier(fail_open=False).check(email) == EmailCheck(
        outcome="unverified", accepted=False
    )


async def test_a_check_still_running_is_polled_until_the_verdict(
    make_verifier: Callable[..., EmailVerifier], hunter: HunterStandin, new_email: Callable[[], str]
) -> None:
    email = new_email()
    hunter.verifier.script(email, still_running(), still_running(), verification("invalid"))

    check = await make_verifier().check(email)

    assert check == EmailCheck(outcome="invalid", accepted=False)
    assert len(hunter.verifier.received(email)) == 3


async def test_a_check_that_never_finishes_ends_with_the_budget(
    make_verifier: Callable[..., EmailVerifier], hunter: HunterStandin, new_email: Callable[[], str]
) -> None:
    email = new_email()
    hunter.verifier.script(email, still_running())

    started = time.monotonic()
    check = await make_verifier(budget=SHORT_BUDGET).check(email)

    assert check == EmailCheck(outcome="unverified", accepted=True)
    assert time.monotonic() - started < SHORT_BUDGET + 0.2
    assert len(hunter.verifier.received(email)) > 1


@pytest.mark.parametrize("fail_open", [True, False])
async def test_a_hanging_verifier_is_cut_off_at_the_budget(
    make_verifier: Callable[..., EmailVerifier],
    hunter: HunterStandin,
    new_email: Callable[[], str],
    fail_open: bool,
) -> None:
    email = new_email()
    hunter.verifier.script(email, hang())

    started = time.monotonic()
    check = await make_verifier(budget=SHORT_BUDGET, fail_open=fail_open).check(email)
    elapsed = time.monotonic() - started

    assert check == EmailCheck(outcome="unverified", accepted=fail_open)
    assert SHORT_BUDGET <= elapsed < SHORT_BUDGET + 0.2


async def test_a_slow_verdict_within_the_budget_is_used(
    make_verifier: Callable[..., EmailVerifier], hunter: HunterStandin, new_email: Callable[[], str]
) -> None:
    email = new_email()
    hunter.verifier.script(email, slow(verification("disposable"), 0.1))

    assert await make_verifier().check(email) == EmailCheck(outcome="disposable", accepted=False)


@pytest.mark.parametrize("status", [222, 400, 401, 403, 429, 500, 503])
@pytest.mark.parametrize("fail_open", [True, False])
async def test_a_verifier_error_admits_only_when_failing_open(
    make_verifier: Callable[..., EmailVerifier],
    hunter: HunterStandin,
    new_email: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
    status: int,
    fail_open: bool,
) -> None:
    email = new_email()
    hunter.verifier.script(email, hunter_error(status))

    check = await make_verifier(fail_open=fail_open).check(email)

    assert check == EmailCheck(outcome="unverified", accepted=fail_open)
    assert f"HTTP {status}" in caplog.text
    assert ("admitting" if fail_open else "rejecting") in caplog.text


async def test_an_unreachable_verifier_applies_the_fail_open_rule(
    make_verifier: Callable[..., EmailVerifier], new_email: Callable[[], str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    check = await make_verifier(base_url=f"http://127.0.0.1:{closed_port}", fail_open=False).check(
        new_email()
    )

    assert check == EmailCheck(outcome="unverified", accepted=False)


async def test_a_person_who_opted_out_is_admitted_even_when_failing_closed(
    make_verifier: Callable[..., EmailVerifier], hunter: HunterStandin, new_email: Callable[[], str]
) -> None:
    email = new_email()
    hunter.verifier.script(email, hunter_error(451))

    assert await make_verifier(fail_open=False).check(email) == EmailCheck(
        outcome="unverified", accepted=True
    )


async def test_a_verdict_is_cached_per_address_so_the_second_check_makes_no_call(
    make_verifier: Callable[..., EmailVerifier],
    hunter: HunterStandin,
    cache: CacheStore,
    new_email: Callable[[], str],
) -> None:
    email = new_email()
    hunter.verifier.script(email, verification("webmail"))
    verifier = make_verifier()

    first = await verifier.check(email)
    second = await verifier.check(email.upper())

    assert first == second == EmailCheck(outcome="webmail", accepted=True)
    assert len(hunter.verifier.received(email)) == 1
    assert await cache.get(verdict_key(email)) is not None


async def test_an_unverified_outcome_is_not_cached(
    make_verifier: Callable[..., EmailVerifier], hunter: HunterStandin, new_email: Callable[[], str]
) -> None:
    email = new_email()
    hunter.verifier.script(email, hunter_error(500), verification("valid"))
    verifier = make_verifier()

    assert (await verifier.check(email)).outcome == "unverified"
    assert (await verifier.check(email)).outcome == "valid"
    assert len(hunter.verifier.received(email)) == 2


async def test_the_key_travels_in_a_header_and_never_in_the_url_or_the_logs(
    make_verifier: Callable[..., EmailVerifier],
    hunter: HunterStandin,
    new_email: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    emails = [new_email() for _ in range(3)]
    hunter.verifier.script(emails[0], verification("valid"))
    hunter.verifier.script(emails[1], hunter_error(401))
    hunter.verifier.script(emails[2], hang())
    verifier = make_verifier(budget=SHORT_BUDGET)

    for email in emails:
        await verifier.check(email)

    received = [request for email in emails for request in hunter.verifier.received(email)]
    assert len(received) == 3
    for request in received:
        assert request.headers["x-api-key"] == hunter.api_key
        assert hunter.api_key not in request.url
        assert "api_key" not in request.query
    assert "unverified" in caplog.text
    assert hunter.api_key not in caplog.text


async def test_build_email_verifier_is_off_without_a_key_and_talks_to_the_configured_url(
    hunter: HunterStandin,
    http: httpx.AsyncClient,
    cache: CacheStore,
    new_email: Callable[[], str],
) -> None:
    email = new_email()
    hunter.verifier.script(email, verification("invalid"))

    assert build_email_verifier(isolated_settings(), http, cache) is None
    verifier = build_email_verifier(isolated_settings(**hunter.settings()), http, cache)
    assert verifier is not None
    assert await verifier.check(email) == EmailCheck(outcome="invalid", accepted=False)
