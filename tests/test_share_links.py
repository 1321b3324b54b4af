"""Share links: GET /r/{code} lands on LANDING_URL (with ref for an active code) and counts
visits once per code, client network and hour, written within a second and at shutdown."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import col, select

from app.main import create_app
from app.models import CodeVisitDaily, ReferralCode
from tests.api import (
    CREATE_CODE,
    DELETE_CODE,
    LOGIN,
    PASSWORD,
    REGISTER,
    Api,
    database,
    expire_code,
    in_days,
    unique_email,
)
from tests.clocks import MovableClock, app_on_clock, at
from tests.conftest import make_settings, running
from tests.instances import serving
from tests.servers import fresh_postgres_database, require_server

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

LANDING = "http://127.0.0.1:8000/"
LIMITED = """
mutation Limited($input: CreateCodeInput!) { createCode(input: $input) { code shareUrl } }"""


async def owner_with_code(api: Api, max_uses: int | None = None) -> tuple[str, str]:
    """A new owner's token and their active code."""
    _, token = await api.signed_up()
    variables = {"input": {"expiresAt": in_days(5), "maxUses": max_uses}}
    created = (await api.gql(LIMITED, variables, token=token))["createCode"]
    return token, created["code"]


async def visits_of(api: Api, code: str) -> tuple[int, dict[str, int]]:
    """The code's total visits and its visits by UTC day, as written in the database."""
    async with database(api.app) as session:
        row = (await session.exec(select(ReferralCode).where(ReferralCode.code == code))).one()
        days = await session.exec(
            select(CodeVisitDaily).where(col(CodeVisitDaily.code_id) == row.id)
        )
        return row.visits, {str(day.day): day.visits for day in days}


async def settled_visits(api: Api, code: str, expected: int) -> int:
    """The total once `expected` visits are written (within the flush's second), or what it
    is after 3 s; then a little longer, so that one too many would show."""
    deadline = time.monotonic() + 3
    total, _ = await visits_of(api, code)
    while total < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        total, _ = await visits_of(api, code)
    await asyncio.sleep(1.3)
    return (await visits_of(api, code))[0]


async def visit(api: Api, path: str, client: str = "127.0.0.1") -> Any:
    async with Api.connect(api.app, client=client) as visitor:
        return await visitor.http.get(path)


async def test_an_active_code_lands_with_ref_and_no_store(api: Api) -> None:
    _, code = await owner_with_code(api)
    response = await api.http.get(f"/r/{code.lower()}")
    assert response.status_code == 302
    assert response.headers["location"] == f"{LANDING}?ref={code}"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "path",
    [
        "/r/NOSUCHCODE99",
        "/r/ab",
        "/r/not-a-code",
        "/r/" + "A" * 5000,
        "/r/%C3%A9t%C3%A9CODE",
        "/r/%F0%9F%98%80",
        "/r/%00ABCD",
        "/r/%ED%A0%80ABCD",
        "/r/%FFABCD",
        "/r/",
        "/r/ABCD/more",
    ],
)
async def test_anything_else_lands_without_ref(api: Api, path: str) -> None:
    response = await api.http.get(path)
    assert response.status_code == 302
    assert response.headers["location"] == LANDING
    assert response.headers["cache-control"] == "no-store"


async def test_expired_deleted_and_used_up_codes_land_without_ref(api: Api) -> None:
    _, expired = await owner_with_code(api)
    assert (await api.http.get(f"/r/{expired}")).headers["location"] != LANDING  # now cached
    await expire_code(api, expired)
    token, deleted = await owner_with_code(api)
    await api.http.get(f"/r/{deleted}")
    await api.gql(DELETE_CODE, token=token)
    _, used_up = await owner_with_code(api, max_uses=1)
    await api.http.get(f"/r/{used_up}")
    await api.register(code=used_up)
    for code in (expired, deleted, used_up):
        response = await api.http.get(f"/r/{code}")
        assert (response.status_code, response.headers["location"]) == (302, LANDING), code
    assert await settled_visits(api, deleted, 1) == 1  # only the visit while it was active


async def test_share_url_is_the_link_that_redirects(api: Api) -> None:
    _, token = await api.signed_up()
    variables = {"input": {"expiresAt": in_days(5)}}
    created = (await api.gql(LIMITED, variables, token=token))["createCode"]
    path = created["shareUrl"].removeprefix("http://127.0.0.1:8000")
    assert path == f"/r/{created['code']}"
    assert (await api.http.get(path)).headers["location"] == f"{LANDING}?ref={created['code']}"


async def test_the_landing_query_is_kept_and_ref_merged(backend: dict[str, Any]) -> None:
    landing = "https://app.example.com/sign-up?src=share&ref=stale&lang=en#form"
    settings = make_settings(backend, landing_url=landing, public_url="https://go.example.com/")
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        _, token = await api.signed_up()
        variables = {"input": {"expiresAt": in_days(5)}}
        created = (await api.gql(LIMITED, variables, token=token))["createCode"]
        code = created["code"]
        assert created["shareUrl"] == f"https://go.example.com/r/{code}"
        found = (await api.http.get(f"/r/{code}")).headers["location"]
        assert found == f"https://app.example.com/sign-up?src=share&lang=en&ref={code}#form"
        unknown = (await api.http.get("/r/UNKNOWN0000")).headers["location"]
        assert unknown == "https://app.example.com/sign-up?src=share&lang=en#form"


async def test_repeats_from_one_network_within_the_hour_count_once(api: Api) -> None:
    _, code = await owner_with_code(api)
    for _ in range(3):
        await visit(api, f"/r/{code}", client="10.1.2.3")
    await visit(api, f"/r/{code}", client="10.1.2.4")  # another address
    await visit(api, f"/r/{code}", client="2001:db8:1:2::1")
    await visit(api, f"/r/{code}", client="2001:db8:1:2:ffff::9")  # the same /64
    await visit(api, f"/r/{code}", client="2001:db8:1:3::1")  # another /64
    assert await settled_visits(api, code, 4) == 4


async def test_a_visit_an_hour_later_counts_again_on_its_day(
    backend: dict[str, Any], tmp_path: Path
) -> None:
    clock = MovableClock(at("2026-11-20T23:30:00"))
    async with app_on_clock(backend, tmp_path, clock) as app, Api.connect(app) as api:
        _, code = await owner_with_code(api)
        await visit(api, f"/r/{code}", client="10.9.9.9")
        clock.advance(minutes=59)
        await visit(api, f"/r/{code}", client="10.9.9.9")  # within the hour: not counted
        clock.advance(minutes=2)
        await visit(api, f"/r/{code}", client="10.9.9.9")
        assert await settled_visits(api, code, 2) == 2
        assert (await visits_of(api, code))[1] == {"2026-11-20": 1, "2026-11-21": 1}


async def test_visits_still_buffered_are_written_at_shutdown(
    backend: dict[str, Any], tmp_path: Path
) -> None:
    settings = make_settings(backend, data_dir=tmp_path)
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        _, code = await owner_with_code(api)
        await api.http.get(f"/r/{code}")
        assert (await visits_of(api, code))[0] == 0  # buffered: no write on the redirect's path
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        assert (await visits_of(api, code))[0] == 1


async def test_two_instances_share_the_visit_dedupe(tmp_path: Path) -> None:
    server_url = require_server("PostgreSQL", "TEST_DATABASE_URL")
    redis_url = require_server("Redis", "TEST_REDIS_URL")
    async with fresh_postgres_database(server_url) as database_url:
        settings = {"database_url": database_url, "redis_url": redis_url}
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        async with (
            serving(tmp_path / "a", **settings) as first,
            serving(tmp_path / "b", **settings) as second,
            first.client() as one,
            second.client() as other,
        ):
            code = await code_over_http(one)
            for client in (one, other, one, other):
                response = await client.get(f"/r/{code}")
                assert response.headers["location"].endswith(f"?ref={code}")
            await asyncio.sleep(1.5)  # both flushed
            owner_visits = await shared_visits(database_url, code)
        assert owner_visits == 1


async def code_over_http(client: httpx.AsyncClient) -> str:
    """A new owner's code, made through a live instance."""

    async def gql(query: str, variables: dict[str, Any], token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"query": query, "variables": variables}
        response = await client.post("/graphql", json=body, headers=headers)
        return response.json()["data"]

    credentials = {"email": unique_email(), "password": PASSWORD}
    await gql(REGISTER, {"input": credentials})
    token = (await gql(LOGIN, {"input": credentials}))["login"]["accessToken"]
    created = await gql(CREATE_CODE, {"input": {"expiresAt": in_days(5)}}, token)
    return created["createCode"]["code"]


async def shared_visits(database_url: str, code: str) -> int:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            query = sa.text("SELECT visits FROM referral_code WHERE code = :code")
            return (await connection.execute(query, {"code": code})).scalar_one()
    finally:
        await engine.dispose()
