"""The database goes away mid-run: requests fail fast with SERVICE_UNAVAILABLE, then recover."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from app.repositories import referrals as referral_repo
from tests.api import LOGIN, PASSWORD, REGISTER, unique_email

if TYPE_CHECKING:
    import pytest

    from tests.api import Api
    from tests.faults.private_servers import PrivatePostgres

# With db_timeout = 1 s: a hung server costs a pre-ping (2 s), a connect (1 s) and a little more.
ANSWER_WITHIN = 5.0
RECOVER_WITHIN = 15.0
REFERRALS = "query R($id: ID!) { referralsById(id: $id) { totalCount } }"


def registration() -> dict[str, Any]:
    return {"input": {"email": unique_email(), "password": PASSWORD}}


def code_of(body: dict[str, Any]) -> str | None:
    return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


async def timed(api: Api, query: str, variables: dict[str, Any]) -> tuple[str | None, float]:
    """The error code of the answer (None for success) and how long it took."""
    started = time.monotonic()
    body = await api.post_graphql(query, variables)
    return code_of(body), time.monotonic() - started


async def ready_status(api: Api) -> tuple[int, float]:
    started = time.monotonic()
    response = await api.http.get("/health/ready")
    return response.status_code, time.monotonic() - started


async def recovered(api: Api) -> float:
    """Seconds until a registration succeeds again, without restarting anything."""
    started = time.monotonic()
    while time.monotonic() - started < RECOVER_WITHIN:
        if code_of(await api.post_graphql(REGISTER, registration())) is None:
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise AssertionError(f"no recovery within {RECOVER_WITHIN} s")


async def test_a_stopped_database_is_unavailable_fast_and_recovers_by_itself(
    postgres_cluster: PrivatePostgres, postgres_url: str, app_on: Any
) -> None:
    async with app_on(postgres_url, None) as api:
        user = await api.register()
        await asyncio.to_thread(postgres_cluster.stop)

        for query, variables in [
            (REGISTER, registration()),
            (LOGIN, {"input": {"email": user["email"], "password": PASSWORD}}),
            (REFERRALS, {"id": user["id"]}),
        ]:
            code, elapsed = await timed(api, query, variables)
            assert code == "SERVICE_UNAVAILABLE"
            assert elapsed < ANSWER_WITHIN
        status, elapsed = await ready_status(api)
        assert status == 503
        assert elapsed < ANSWER_WITHIN

        await asyncio.to_thread(postgres_cluster.start)
        await recovered(api)
        assert (await ready_status(api))[0] == 200
        assert (await api.login(user["email"]))["user"]["id"] == user["id"]


async def test_a_signed_in_request_while_the_database_is_down_is_unavailable(
    postgres_cluster: PrivatePostgres, postgres_url: str, app_on: Any
) -> None:
    async with app_on(postgres_url, None) as api:
        _, token = await api.signed_up()
        await asyncio.to_thread(postgres_cluster.stop)

        body = await api.post_graphql("{ me { id } }", token=token)
        assert code_of(body) == "SERVICE_UNAVAILABLE"
        response = await api.http.delete(
            "/referrals/delete_code", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 503


async def test_a_hung_database_is_unavailable_within_bounded_time(
    postgres_cluster: PrivatePostgres, postgres_url: str, app_on: Any
) -> None:
    async with app_on(postgres_url, None) as api:
        await api.register()
        await asyncio.to_thread(postgres_cluster.pause)
        try:
            answers = await asyncio.gather(
                *(timed(api, REGISTER, registration()) for _ in range(12))
            )
            assert {code for code, _ in answers} == {"SERVICE_UNAVAILABLE"}
            assert max(elapsed for _, elapsed in answers) < ANSWER_WITHIN
            status, elapsed = await ready_status(api)
            assert status == 503
            assert elapsed < ANSWER_WITHIN
        finally:
            await asyncio.to_thread(postgres_cluster.resume)
        await recovered(api)


async def test_a_request_whose_database_dies_before_it_ends_still_answers(
    postgres_cluster: PrivatePostgres,
    postgres_url: str,
    app_on: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_referrers = referral_repo.referrer_ids_of

    async def read_then_lose_the_database(*args: Any, **kwargs: Any) -> Any:
        found = await read_referrers(*args, **kwargs)
        await asyncio.to_thread(postgres_cluster.stop)  # the read's transaction is still open
        return found

    async with app_on(postgres_url, None) as api:
        monkeypatch.setattr(referral_repo, "referrer_ids_of", read_then_lose_the_database)
        email = unique_email()
        body = await api.post_graphql(REGISTER, {"input": {"email": email, "password": PASSWORD}})
        monkeypatch.undo()
        assert "errors" not in body
        assert body["data"]["register"]["email"] == email
        await asyncio.to_thread(postgres_cluster.start)
        await recovered(api)
        assert (await api.login(email))["user"]["email"] == email
