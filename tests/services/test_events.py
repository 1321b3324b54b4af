"""The outbox: every change worth telling writes its event in its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import col, select

from app.domain import events
from app.domain.events import Event, EventType
from app.models import EventRecord, User
from app.uow import UnitOfWork
from tests.api import DELETE_CODE, Api, database, unique_email

if TYPE_CHECKING:
    from app.services.events import EventLog


def event_log(api: Api) -> EventLog:
    return api.app.state.runtime.services.events


async def recorded(api: Api, type_: EventType) -> list[EventRecord]:
    async with database(api.app) as session:
        rows = await session.exec(select(EventRecord).where(col(EventRecord.type) == type_.value))
        return list(rows)


def about(rows: list[EventRecord], path: tuple[str, ...], value: str) -> list[dict[str, Any]]:
    """The `data` of the rows whose value at `path` is `value`."""
    found = []
    for row in rows:
        node: Any = row.data
        for key in path:
            node = node[key]
        if node == value:
            found.append(row.data)
    return found


def is_iso_with_offset(text: str) -> bool:
    return datetime.fromisoformat(text).utcoffset() is not None


async def test_registration_with_a_code_records_both_events_with_the_contracts_data(
    api: Api,
) -> None:
    owner, token = await api.signed_up()
    code = (await api.create_code(token))["code"]
    referee = await api.register(code=code)

    (registered,) = about(
        await recorded(api, EventType.USER_REGISTERED), ("user", "id"), referee["id"]
    )
    assert registered == {
        "user": {"id": referee["id"], "email": referee["email"], "createdAt": referee["createdAt"]}
    }
    assert is_iso_with_offset(registered["user"]["createdAt"])
    (joined,) = about(
        await recorded(api, EventType.REFERRAL_JOINED), ("referee", "id"), referee["id"]
    )
    assert joined == {
        "referrer": {"id": owner["id"]},
        "referee": {
            "id": referee["id"],
            "email": referee["email"],
            "createdAt": referee["createdAt"],
        },
        "code": code,
    }


async def test_registration_without_a_code_records_no_referral(api: Api) -> None:
    user = await api.register()
    assert about(await recorded(api, EventType.USER_REGISTERED), ("user", "id"), user["id"])
    assert not about(await recorded(api, EventType.REFERRAL_JOINED), ("referee", "id"), user["id"])


async def test_creating_and_deleting_a_code_record_their_events(api: Api) -> None:
    owner, token = await api.signed_up()
    created = await api.create_code(token)
    await api.gql(DELETE_CODE, token=token)

    (made,) = about(await recorded(api, EventType.CODE_CREATED), ("owner", "id"), owner["id"])
    assert made == {
        "owner": {"id": owner["id"]},
        "code": created["code"],
        "expiresAt": created["expiresAt"],
        "maxUses": None,
    }
    assert is_iso_with_offset(made["expiresAt"])
    (gone,) = about(await recorded(api, EventType.CODE_DELETED), ("owner", "id"), owner["id"])
    assert gone == {"owner": {"id": owner["id"]}, "code": created["code"]}


async def test_a_refused_change_records_no_event(api: Api) -> None:
    owner, token = await api.signed_up()
    await api.create_code(token)
    assert await api.error_code(
        "mutation($input: CreateCodeInput!) { createCode(input: $input) { code } }",
        {"input": {"expiresAt": "2099-01-01T00:00:00+00:00"}},
        token=token,
    )
    assert (
        len(about(await recorded(api, EventType.CODE_CREATED), ("owner", "id"), owner["id"])) == 1
    )


async def test_a_rolled_back_change_leaves_no_event_and_tells_no_one(api: Api) -> None:
    log = event_log(api)
    told: list[Event] = []

    async def listener(event: Event) -> None:
        told.append(event)

    unsubscribe = log.subscribe(listener)
    email = unique_email()
    event = events.user_registered(user_id=1, email=email, created_at=datetime.now().astimezone())
    work = UnitOfWork(api.app.state.runtime.database, writes=True)

    async def change_then_fail() -> None:
        async with work.write() as transaction:
            transaction.session.add(User(email=email, hashed_password="x"))
            await log.record(transaction, event)
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError):
        await change_then_fail()
    await work.close()
    unsubscribe()
    assert not about(await recorded(api, EventType.USER_REGISTERED), ("user", "email"), email)
    assert told == []


async def test_listeners_are_told_after_the_commit_with_the_committed_event(api: Api) -> None:
    log = event_log(api)
    seen: list[tuple[Event, bool]] = []

    async def listener(event: Event) -> None:
        # Another connection sees the row: the transaction has committed before we are told.
        async with database(api.app) as session:
            row = (
                await session.exec(select(EventRecord).where(col(EventRecord.id) == event.id))
            ).first()
        seen.append((event, row is not None))

    async def failing(event: Event) -> None:
        raise RuntimeError("a broken listener")

    unsubscribe_failing = log.subscribe(failing)
    unsubscribe = log.subscribe(listener)
    user = await api.register()
    unsubscribe()
    unsubscribe_failing()
    await api.register()

    assert [(event.type, event.data["user"]["id"], committed) for event, committed in seen] == [
        (EventType.USER_REGISTERED, user["id"], True)
    ]
