"""The request scope both transports share: one viewer, one token, loaders that cannot deadlock,
and no pooled connection held while a password is hashed or an address verified."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from starlette.requests import Request

from app.db import Database
from app.security import PasswordHasher
from app.services.accounts import Accounts
from app.transport.scope import RequestScope, open_scope
from app.uow import UnitOfWork
from tests.api import PASSWORD, Api, unique_email
from tests.conftest import make_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from app.runtime import Runtime


def request_with(headers: dict[str, str]) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


def runtime_of(api: Api) -> Runtime:
    return api.app.state.runtime


async def test_the_viewer_is_none_without_a_token_and_require_viewer_refuses(api: Api) -> None:
    async with open_scope(request_with({}), runtime_of(api), writes=False) as scope:
        assert scope.access_token is None
        assert await scope.viewer() is None
        with pytest.raises(Exception, match="Authentication required"):
            await scope.require_viewer()


async def test_a_bearer_token_names_the_viewer_once_for_every_resolver(api: Api) -> None:
    user, token = await api.signed_up()
    headers = {"Authorization": f"Bearer {token}"}
    async with open_scope(request_with(headers), runtime_of(api), writes=False) as scope:
        assert scope.access_token == token
        viewers = await asyncio.gather(*(scope.viewer() for _ in range(10)))
        assert {viewer.id for viewer in viewers if viewer is not None} == {int(user["id"])}
        assert len({id(viewer) for viewer in viewers}) == 1


@pytest.mark.timeout(30)
async def test_the_viewer_and_loaders_can_be_awaited_inside_a_read(api: Api) -> None:
    """With a lock held for a whole read block (as before), this waits for itself forever."""
    user, token = await api.signed_up()
    headers = {"Authorization": f"Bearer {token}"}
    scope = RequestScope(request_with(headers), runtime_of(api), writes=False)
    async with asyncio.timeout(10), scope.uow.read():
        viewer = await scope.viewer()
        loaded, referrer = await asyncio.gather(
            scope.loaders.user.load(int(user["id"])),
            scope.loaders.referrer_id.load(int(user["id"])),
        )
    await scope.uow.close()
    assert viewer is not None
    assert loaded is not None
    assert loaded.id == viewer.id
    assert referrer is None


class ConnectionWatch:
    """Records how many pooled connections are checked out at the moments that matter."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.seen: list[int] = []

    def note(self) -> None:
        self.seen.append(self.database.engine.pool.checkedout())  # type: ignore[attr-defined]


class WatchedHasher(PasswordHasher):
    def __init__(self, watch: ConnectionWatch) -> None:
        super().__init__(threads=1)
        self.watch = watch

    async def hash(self, password: str) -> str:
        self.watch.note()
        return await super().hash(password)

    async def verify(self, password: str, hashed: str) -> bool:
        self.watch.note()
        return await super().verify(password, hashed)


class WatchedChecker:
    def __init__(self, watch: ConnectionWatch) -> None:
        self.watch = watch

    async def check(self, email: str) -> Any:
        self.watch.note()
        await asyncio.sleep(0.01)
        return type("Verdict", (), {"outcome": "valid", "accepted": True})()


@pytest.fixture
async def watched(
    backend: dict[str, Any], api: Api
) -> AsyncIterator[tuple[Accounts, ConnectionWatch, Database]]:
    database = Database.from_settings(make_settings(backend))
    watch = ConnectionWatch(database)
    hasher = WatchedHasher(watch)
    services = runtime_of(api).services
    accounts = Accounts(
        hasher=hasher,
        codes=services.codes,
        events=services.events,
        unknown_user_hash=await hasher.hash("equaliser"),
        email_checker=WatchedChecker(watch),
    )
    watch.seen.clear()
    yield accounts, watch, database
    hasher.close()
    await database.dispose()


async def test_registration_holds_no_connection_while_it_verifies_and_hashes(
    api: Api, watched: tuple[Accounts, ConnectionWatch, Database]
) -> None:
    accounts, watch, database = watched
    owner, token = await api.signed_up()
    code = (await api.create_code(token))["code"]
    work = UnitOfWork(database, writes=True)
    registration = await accounts.register(
        work, email=unique_email(), password=PASSWORD, referral_code=code
    )
    await work.close()
    assert registration.referrer_id == int(owner["id"])
    assert watch.seen == [0, 0]  # the verifier, then the hash


async def test_sign_in_holds_no_connection_while_it_verifies_the_password(
    api: Api, watched: tuple[Accounts, ConnectionWatch, Database]
) -> None:
    accounts, watch, database = watched
    user = await api.register()
    work = UnitOfWork(database, writes=False)
    signed_in = await accounts.authenticate(work, email=user["email"], password=PASSWORD)
    await work.close()
    assert signed_in.id == int(user["id"])
    assert watch.seen == [0]


async def test_a_scope_that_may_write_says_so(api: Api) -> None:
    async with open_scope(request_with({}), runtime_of(api), writes=False) as reader:
        assert isinstance(reader, RequestScope)
        assert reader.uow.writes is False
    async with open_scope(request_with({}), runtime_of(api), writes=True) as writer:
        assert writer.uow.writes is True
