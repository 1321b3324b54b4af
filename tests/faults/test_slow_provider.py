"""A slow email verifier holds up registrations, not the database pool everyone else needs."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from app.main import create_app
from tests.api import PASSWORD, REGISTER, Api, unique_email
from tests.conftest import make_settings, running
from tests.standins.answers import slow, verification

if TYPE_CHECKING:
    from tests.standins.server import HunterStandin

# More registrations than either pool holds: PostgreSQL's is 2 + 2 here, SQLite's 5 + 10.
REGISTRATIONS = 16
VERIFIER_DELAY = 1.5
REFERRALS = "query R($id: ID!) { referralsById(id: $id) { totalCount } }"


async def test_reads_are_served_while_registrations_wait_on_the_verifier(
    backend: dict[str, Any], hunter: HunterStandin
) -> None:
    settings = make_settings(backend, db_pool_size=2, email_check_budget=4.0, **hunter.settings())
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        user = await api.register()
        emails = [unique_email() for _ in range(REGISTRATIONS)]
        for email in emails:
            hunter.verifier.script(email, slow(verification("valid"), VERIFIER_DELAY))
        registrations = asyncio.gather(
            *(
                api.post_graphql(REGISTER, {"input": {"email": email, "password": PASSWORD}})
                for email in emails
            )
        )
        deadline = time.monotonic() + 5
        while len({r.email for r in hunter.verifier.received() if r.email in emails}) < 4:
            assert time.monotonic() < deadline, "the registrations did not reach the verifier"
            await asyncio.sleep(0.01)

        started = time.monotonic()
        page = await api.gql(REFERRALS, {"id": user["id"]})
        assert time.monotonic() - started < VERIFIER_DELAY / 2
        assert page == {"referralsById": {"totalCount": 0}}
        assert all("errors" not in body for body in await registrations)
