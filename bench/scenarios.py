"""The scenarios: what each sends, how its answer is checked, what it is compared with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from bench import redis_ceiling, subscriptions, webhooks
from bench.replaced import (
    REPLACED_CODE,
    REPLACED_LOGIN,
    REPLACED_REFERRALS,
    REPLACED_REGISTER,
    Replaced,
)
from bench.service import (
    CODE_BY_EMAIL,
    LEADERBOARD,
    LOGIN,
    REFERRAL_STATS,
    REFERRALS_BY_ID,
    REFERRALS_BY_ID_FULL,
    REGISTER,
)
from bench.wrk import Request

if TYPE_CHECKING:
    from collections.abc import Callable

    from bench.database import Referrer
    from bench.runner import Measurement
    from bench.service import Owner, Server


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    about: str
    server: str  # "app", "ceiling" or "redis-ceiling"
    request: Request
    replaced: Replaced | None = None
    beside: Request | None = None  # a load that runs on the app at the same time
    hashes: str | None = None  # "verify" or "hash": bounded by argon2id, compared with its limit
    needs_redis: bool = False  # not run, by design, on the embedded backend
    # A scenario that is no wrk load drives the server itself (`request` is then its probe).
    drive: Callable[[Server], Measurement] | None = None


def _graphql_body(query: str, variables: dict[str, object]) -> str:
    return json.dumps({"query": query, "variables": variables}, separators=(",", ":"))


def build(
    owner: Owner,
    small: Referrer,
    big: Referrer,
    *,
    run_id: str,
    tokens: dict[int, str],
    quick: bool = False,
    database_url: str = "",
) -> dict[str, Scenario]:
    """Every scenario, in the order they run, for the seeded data of this run (`tokens`: an
    access token of each seeded referrer, by id)."""
    json_type = "application/json"
    code_graphql = Request(
        "POST",
        "/graphql",
        _graphql_body(CODE_BY_EMAIL, {"email": owner.email}),
        json_type,
        expect_text=owner.code,
        reject_text='"errors"',
    )
    login_graphql = Request(
        "POST",
        "/graphql",
        _graphql_body(LOGIN, {"input": {"email": owner.email, "password": owner.password}}),
        json_type,
        expect_text='"accessToken"',
        reject_text='"errors"',
    )

    def referrals(referrer: Referrer, query: str = REFERRALS_BY_ID) -> Request:
        return Request(
            "POST",
            "/graphql",
            _graphql_body(query, {"id": str(referrer.id)}),
            json_type,
            expect_text=f'"totalCount":{referrer.referrals}',
            reject_text='"errors"',
        )

    def referral_stats(referrer: Referrer) -> Request:
        return Request(
            "POST",
            "/graphql",
            _graphql_body(REFERRAL_STATS, {}),
            json_type,
            expect_text=f'"totalReferrals":{referrer.referrals},',
            reject_text='"errors"',
            bearer=tokens[referrer.id],
        )

    def leaderboard(period: str, *, leader: str) -> Request:
        return Request(
            "POST",
            "/graphql",
            _graphql_body(LEADERBOARD, {"period": period}),
            json_type,
            expect_text=leader,
            reject_text='"errors"',
        )

    def register_graphql(tag: str) -> Request:
        body = _graphql_body(REGISTER, {"input": {"email": "{email}", "password": owner.password}})
        return Request(
            "POST",
            "/graphql",
            body,
            json_type,
            expect_text='"register"',
            reject_text='"errors"',
            unique_email_prefix=f"{tag}-{run_id}",
        )

    scenarios = [
        Scenario(
            "ceiling",
            "bare Starlette JSON endpoint, same uvicorn settings and workers",
            "ceiling",
            Request("GET", "/json", expect_text='"hello"'),
        ),
        Scenario(
            "redis-ceiling",
            "bare Starlette doing one Redis GET (a cached code entry), served as the ceiling",
            "redis-ceiling",
            Request("GET", "/redis", expect_text=redis_ceiling.CODE),
            needs_redis=True,
        ),
        Scenario(
            "code-graphql",
            "codeByEmail over GraphQL (cached)",
            "app",
            code_graphql,
            REPLACED_CODE,
        ),
        Scenario(
            "code-rest",
            "GET /referrals/code_by_email/{email} (cached)",
            "app",
            Request(
                "GET",
                f"/referrals/code_by_email/{quote(owner.email, safe='@')}",
                expect_text=owner.code,
            ),
            REPLACED_CODE,
        ),
        Scenario(
            "share-redirect",
            "GET /r/{code} (cached code, one client: its visits deduped): 302 with ref",
            "app",
            Request("GET", f"/r/{owner.code}", expect_status=302),
        ),
        Scenario(
            "referrals-100",
            f"referralsById first page (50) of a referrer with {small.referrals:,} referrals",
            "app",
            referrals(small),
            REPLACED_REFERRALS,
        ),
        Scenario(
            "referrals-100-full",
            "referralsById first page (50), node { id email createdAt },"
            f" {small.referrals:,} referrals",
            "app",
            referrals(small, REFERRALS_BY_ID_FULL),
            REPLACED_REFERRALS,
        ),
        Scenario(
            "referrals-big",
            f"referralsById first page (50) of a referrer with {big.referrals:,} referrals",
            "app",
            referrals(big),
            REPLACED_REFERRALS,
        ),
        Scenario(
            "referrals-rest-100",
            f"GET /referrals/by_id/{{id}}?limit=50, {small.referrals:,} referrals",
            "app",
            Request("GET", f"/referrals/by_id/{small.id}?limit=50", expect_text='"referrals"'),
            REPLACED_REFERRALS,
        ),
        Scenario(
            "referrals-rest-100ids",
            f"GET /referrals/by_id/{{id}}?limit=100, {small.referrals:,} referrals",
            "app",
            # All 100 on one page: no cursor to a next one.
            Request("GET", f"/referrals/by_id/{small.id}?limit=100", expect_text='"next":null'),
            REPLACED_REFERRALS,
        ),
        Scenario(
            "login",
            "login mutation (argon2id verify)",
            "app",
            login_graphql,
            REPLACED_LOGIN,
            hashes="verify",
        ),
        Scenario(
            "login-rest",
            "POST /auth/token, password grant (argon2id verify)",
            "app",
            Request(
                "POST",
                "/auth/token",
                urlencode(
                    {"grant_type": "password", "username": owner.email, "password": owner.password}
                ),
                "application/x-www-form-urlencoded",
                expect_text='"access_token"',
            ),
            REPLACED_LOGIN,
            hashes="verify",
        ),
        Scenario(
            "register",
            "register mutation, a new email each time (argon2id hash)",
            "app",
            register_graphql("reg"),
            REPLACED_REGISTER,
            hashes="hash",
        ),
        Scenario(
            "register-rest",
            "POST /auth/register/, a new email each time (argon2id hash)",
            "app",
            Request(
                "POST",
                "/auth/register/",
                json.dumps({"email": "{email}", "password": owner.password}),
                json_type,
                expect_text='"id"',
                unique_email_prefix=f"regrest-{run_id}",
            ),
            REPLACED_REGISTER,
            hashes="hash",
        ),
        Scenario(
            "referral-stats-100",
            f"me {{ referralStats {{ ... daily(days: 30) }} }}, {small.referrals:,} referrals",
            "app",
            referral_stats(small),
        ),
        Scenario(
            "referral-stats-big",
            f"the same for the referrer with {big.referrals:,} referrals",
            "app",
            referral_stats(big),
        ),
        Scenario(
            "leaderboard-big",
            f"leaderboard(first: 10), all time; {big.referrals:,} referrals among"
            f" {big.referrals + small.referrals + 3:,} accounts",
            "app",
            leaderboard("ALL_TIME", leader=f'"rank":1,"referrals":{big.referrals},'),
        ),
        Scenario(
            "leaderboard-7d",
            "leaderboard(period: LAST_7_DAYS, first: 10), the same accounts",
            "app",
            leaderboard("LAST_7_DAYS", leader=f'"node":{{"id":"{big.id}"'),
        ),
        Scenario(
            "code-under-login",
            "codeByEmail over GraphQL while a login load (same wrk settings) runs beside it",
            "app",
            code_graphql,
            REPLACED_CODE,
            beside=login_graphql,
        ),
        Scenario(
            subscriptions.SPREAD.name,
            "1,000 referralJoined subscriptions on one worker (100 referrers x 10), registrations"
            " in turn, each heard by its referrer's 10; latency from createdAt to the socket",
            "app-1",
            Request("GET", "/health/live", expect_text="ok"),
            drive=lambda server: subscriptions.measure(
                server, subscriptions.SPREAD, quick=quick, run_id=run_id
            ),
        ),
        Scenario(
            subscriptions.ONE.name,
            "the same 1,000 subscriptions all one referrer's: each registration heard by all"
            " 1,000 at once",
            "app-1",
            Request("GET", "/health/live", expect_text="ok"),
            drive=lambda server: subscriptions.measure(
                server, subscriptions.ONE, quick=quick, run_id=run_id
            ),
        ),
        Scenario(
            webhooks.SCENARIO,
            "a backlog of events in the outbox delivered, signed, to a local receiver (events/s)",
            "app",
            Request("GET", "/health/live", expect_text="ok"),
            drive=lambda server: webhooks.measure(server, database_url=database_url, quick=quick),
        ),
    ]
    return {scenario.name: scenario for scenario in scenarios}


NAMES = [
    "ceiling",
    "redis-ceiling",
    "code-graphql",
    "code-rest",
    "share-redirect",
    "referrals-100",
    "referrals-100-full",
    "referrals-big",
    "referrals-rest-100",
    "referrals-rest-100ids",
    "login",
    "login-rest",
    "register",
    "register-rest",
    "referral-stats-100",
    "referral-stats-big",
    "leaderboard-big",
    "leaderboard-7d",
    "code-under-login",
    subscriptions.SPREAD.name,
    subscriptions.ONE.name,
    webhooks.SCENARIO,
]
