"""The unit of work: reads shared safely, writes only in a transaction, and never where refused."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import col, func, select, update

from app.models import User
from app.services.codes import Codes
from app.uow import ReadOnlyViolation, UnitOfWork
from tests.api import CODE_BY_EMAIL, Api, unique_email

if TYPE_CHECKING:
    from app.db import Database


def database_of(api: Api) -> Database:
    return api.app.state.runtime.database


async def accounts_named(api: Api, email: str) -> int:
    async with database_of(api).writers() as session:
        return (await session.exec(select(func.count()).where(col(User.email) == email))).one()


async def test_a_unit_of_work_that_only_reads_refuses_a_transaction(api: Api) -> None:
    work = UnitOfWork(database_of(api), writes=False)
    with pytest.raises(ReadOnlyViolation):
        async with work.write():
            pass
    await work.close()


async def test_the_reading_session_refuses_any_change(api: Api) -> None:
    user = await api.register()
    work = UnitOfWork(database_of(api), writes=True)
    async with work.read() as session:
        promote = update(User).where(col(User.id) == int(user["id"])).values(is_superuser=True)
        with pytest.raises(ReadOnlyViolation):
            await session.exec(promote)  # type: ignore[call-overload]
        email = unique_email()
        session.add(User(email=email, hashed_password="x"))
        with pytest.raises(ReadOnlyViolation):
            await session.flush()
        session.expunge_all()
    await work.close()
    assert await accounts_named(api, email) == 0
    async with database_of(api).writers() as session:
        assert (await session.get(User, int(user["id"]))).is_superuser is False  # type: ignore[union-attr]


async def test_a_transaction_commits_at_the_end_of_its_block_and_not_if_it_raises(
    api: Api,
) -> None:
    kept, dropped = unique_email(), unique_email()
    work = UnitOfWork(database_of(api), writes=True)
    async with work.write() as transaction:
        transaction.session.add(User(email=kept, hashed_password="x"))

    async def change_then_fail() -> None:
        async with work.write() as transaction:
            transaction.session.add(User(email=dropped, hashed_password="x"))
            await transaction.session.flush()
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError):
        await change_then_fail()
    await work.close()
    assert await accounts_named(api, kept) == 1
    assert await accounts_named(api, dropped) == 0


async def test_what_follows_a_commit_runs_after_it_and_never_after_a_rollback(api: Api) -> None:
    seen: list[int] = []
    email = unique_email()
    work = UnitOfWork(database_of(api), writes=True)

    async def count_committed() -> None:
        seen.append(await accounts_named(api, email))

    async with work.write() as transaction:
        transaction.session.add(User(email=email, hashed_password="x"))
        transaction.after_commit(count_committed)

    async def register_then_fail() -> None:
        async with work.write() as transaction:
            transaction.after_commit(count_committed)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await register_then_fail()
    await work.close()
    assert seen == [1]


@pytest.mark.timeout(20)
async def test_many_tasks_share_the_reading_session_at_once(api: Api) -> None:
    users = [await api.register() for _ in range(3)]
    ids = [int(user["id"]) for user in users]
    work = UnitOfWork(database_of(api), writes=False)

    async def read(user_id: int) -> str:
        async with work.read() as session:
            await asyncio.sleep(0)
            found = await session.get(User, user_id)
            assert found is not None
            return found.email

    emails = await asyncio.gather(*(read(ids[n % 3]) for n in range(60)))
    await work.close()
    assert set(emails) == {user["email"] for user in users}


async def test_a_write_in_a_query_fails_loudly_and_changes_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    email = unique_email()

    async def writing_lookup(self: Codes, uow: UnitOfWork, **_: Any) -> None:
        async with uow.write() as transaction:
            transaction.session.add(User(email=email, hashed_password="x"))

    monkeypatch.setattr(Codes, "active_by_email", writing_lookup)
    with caplog.at_level(logging.ERROR):
        body = await api.post_graphql(CODE_BY_EMAIL, {"email": "a@example.com"})
        response = await api.http.get("/referrals/code_by_email/a@example.com")
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert response.status_code == 500
    logged = "\n".join(record.getMessage() + str(record.exc_info) for record in caplog.records)
    assert logged.count("ReadOnlyViolation") >= 2
    assert await accounts_named(api, email) == 0
