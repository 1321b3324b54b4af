"""Revocations on both backends: a logout is a committed database record before it answers,
every instance reads it, and records of expired tokens are pruned."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt
from sqlmodel import col, select

from app.main import create_app
from app.models import RevokedToken
from app.services import revocations
from app.services.revocations import RevocationList
from app.uow import unit_of_work
from tests.api import Api, database
from tests.conftest import make_settings, running

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pytest
    from starlette.applications import Starlette

ME = "{ me { id } }"
LOGOUT = "mutation { logout }"
PRUNED_WITHIN = 10.0


def token_id(access_token: str) -> str:
    return str(jwt.decode(access_token, options={"verify_signature": False})["jti"])


async def records(app: Starlette, token_ids: Iterable[str]) -> dict[str, datetime]:
    """The revocation records of these tokens, by token id, with their expiries."""
    async with database(app) as session:
        found = await session.exec(
            select(RevokedToken).where(col(RevokedToken.token_id).in_(list(token_ids)))
        )
        return {record.token_id: record.expires_at for record in found}


async def add_records(app: Starlette, expiries: dict[str, datetime]) -> None:
    async with database(app) as session:
        for token, expires_at in expiries.items():
            session.add(RevokedToken(token_id=token, expires_at=expires_at))
        await session.commit()


def new_ids(count: int) -> list[str]:
    return [uuid.uuid4().hex for _ in range(count)]


async def test_a_logout_is_a_database_record_until_the_token_expires(api: Api) -> None:
    _, token = await api.signed_up()
    claims = jwt.decode(token, options={"verify_signature": False})

    assert await api.gql(LOGOUT, token=token) == {"logout": True}

    stored = await records(api.app, [claims["jti"]])
    assert stored == {claims["jti"]: datetime.fromtimestamp(claims["exp"], UTC)}


async def test_an_instance_that_shares_only_the_database_refuses_a_token_logged_out_elsewhere(
    api: Api, backend: dict[str, Any]
) -> None:
    _, token = await api.signed_up()
    _, other_token = await api.signed_up()
    await api.gql(LOGOUT, token=token)

    # Another process in all but name: its own memory cache and no Redis, the same database.
    elsewhere = create_app(make_settings(backend, redis_url=None))
    async with running(elsewhere), Api.connect(elsewhere) as other:
        body = await other.post_graphql(ME, token=token)
        assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "REVOKED"}
        assert (await other.gql(ME, token=other_token))["me"]
        # A logout there holds here too.
        await other.gql(LOGOUT, token=other_token)
    assert await api.error_code(ME, token=other_token) == "UNAUTHENTICATED"


async def test_logouts_of_one_token_at_once_make_one_record_and_no_error(api: Api) -> None:
    tokens = [(await api.signed_up())[1] for _ in range(5)]

    answers = await asyncio.gather(
        *(api.post_graphql(LOGOUT, token=token) for token in tokens for _ in range(4))
    )

    codes = [answer["errors"][0]["extensions"]["code"] for answer in answers if "errors" in answer]
    assert set(codes) <= {"UNAUTHENTICATED"}
    assert sum(answer.get("data") == {"logout": True} for answer in answers) >= len(tokens)
    assert set(await records(api.app, map(token_id, tokens))) == set(map(token_id, tokens))
    for token in tokens:
        assert await api.error_code(ME, token=token) == "UNAUTHENTICATED"


async def test_a_logout_that_fails_records_nothing(api: Api) -> None:
    user, token = await api.signed_up()
    forged = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}) | {"sub": "2147483000"},
        api.app.state.runtime.settings.signing_key,
        algorithm="HS256",
    )

    assert await api.error_code(LOGOUT, token=forged) == "UNAUTHENTICATED"  # no such user

    assert await records(api.app, [token_id(token)]) == {}
    assert (await api.gql(ME, token=token))["me"]["id"] == user["id"]


async def test_this_process_refuses_its_own_revocation_from_the_commit_to_the_expiry(
    api: Api,
) -> None:
    now = datetime.now(UTC)
    clock = [now]
    revoked = RevocationList(clock=lambda: clock[0])
    (token,) = new_ids(1)

    async with (
        unit_of_work(api.app.state.runtime.database, writes=True) as work,
        work.write() as transaction,
    ):
        await revoked.revoke(transaction, token_id=token, expires_at=now + timedelta(minutes=1))
        assert not revoked.revoked_here(token)  # not before it is durable
    assert revoked.revoked_here(token)

    clock[0] = now + timedelta(minutes=1, seconds=1)
    assert not revoked.revoked_here(token)


async def test_pruning_deletes_the_records_of_expired_tokens_and_keeps_the_others(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(revocations, "PRUNE_BATCH", 2)  # several batches
    now = datetime.now(UTC)
    expired, live = new_ids(5), new_ids(3)
    await add_records(
        api.app,
        {token: now - timedelta(seconds=1) for token in expired}
        | {token: now + timedelta(minutes=10) for token in live},
    )
    pruner = RevocationList(clock=lambda: now)

    async with unit_of_work(api.app.state.runtime.database, writes=True) as work:
        deleted = await pruner.prune(work)

    assert deleted >= len(expired)
    assert set(await records(api.app, expired + live)) == set(live)


async def test_two_instances_pruning_at_once_both_finish(api: Api) -> None:
    now = datetime.now(UTC)
    expired = new_ids(50)
    await add_records(api.app, dict.fromkeys(expired, now - timedelta(seconds=1)))

    async def prune() -> int:
        async with unit_of_work(api.app.state.runtime.database, writes=True) as work:
            return await RevocationList(clock=lambda: now).prune(work)

    await asyncio.gather(prune(), prune())

    assert await records(api.app, expired) == {}


async def test_an_instance_prunes_expired_records_when_it_starts(
    api: Api, backend: dict[str, Any]
) -> None:
    expired, live = new_ids(1), new_ids(1)
    now = datetime.now(UTC)
    await add_records(
        api.app,
        {expired[0]: now - timedelta(seconds=1), live[0]: now + timedelta(minutes=10)},
    )

    async with running(create_app(make_settings(backend))):
        deadline = time.monotonic() + PRUNED_WITHIN
        while expired[0] in await records(api.app, expired):
            assert time.monotonic() < deadline, f"not pruned within {PRUNED_WITHIN} s"
            await asyncio.sleep(0.05)

    assert list(await records(api.app, live)) == live
