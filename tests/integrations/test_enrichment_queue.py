"""The background enrichment queue against the Clearbit stand-in and a SQLite file database."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from app.integrations.enrichment import CombinedLookup, LookupResult
from app.models import User
from app.repositories import profiles
from app.services.enrichment import EnrichmentQueue
from tests.standins import clearbit_error, hang, person, slow, still_running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    import httpx

    from app.db import Database
    from app.integrations.enrichment import Enricher
    from tests.standins import ClearbitStandin


@pytest.fixture
def lookup(clearbit: ClearbitStandin, http: httpx.AsyncClient) -> CombinedLookup:
    return CombinedLookup.clearbit(api_key=clearbit.api_key, base_url=clearbit.base_url, http=http)


@pytest.fixture
async def make_queue(
    database: Database, lookup: CombinedLookup
) -> AsyncIterator[Callable[..., Awaitable[EnrichmentQueue]]]:
    """Started queues with fast retries, stopped after the test."""
    queues: list[EnrichmentQueue] = []

    async def make(**overrides: Any) -> EnrichmentQueue:
        options: dict[str, Any] = {
            "enricher": lookup,
            "database": database,
            "base_delay": 0.01,
            "max_attempts": 4,
        }
        queue = EnrichmentQueue(**(options | overrides))
        await queue.start()
        queues.append(queue)
        return queue

    yield make
    for queue in queues:
        await queue.stop()


async def add_user(database: Database, email: str, *, status: str | None = "pending") -> int:
    async with database.writers() as session:
        user = User(email=email, hashed_password="not-a-hash", enrichment_status=status)
        session.add(user)
        await session.commit()
    assert user.id is not None
    return user.id


async def current_status(database: Database, user_id: int) -> str | None:
    async with database.writers() as session:
        return await profiles.get_enrichment_status(session, user_id=user_id)


async def settled_status(database: Database, user_id: int) -> str | None:
    """The user's enrichment status once it has left 'pending'."""
    async with asyncio.timeout(3):
        # The queue has no completion hook to await: what users see is the database.
        while (status := await current_status(database, user_id)) == "pending":  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    return status


async def until_received(clearbit: ClearbitStandin, email: str) -> None:
    async with asyncio.timeout(3):
        # The stand-in records requests in its own thread: there is no event to await.
        while not clearbit.combined.received(email):  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def enrichment_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("enrichment-")]


async def test_a_queued_lookup_is_retried_until_the_profile_is_stored(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    new_email: Callable[[], str],
) -> None:
    email = new_email()
    clearbit.combined.script(email, still_running(), still_running(), person())
    user_id = await add_user(database, email)

    queue = await make_queue()
    queue.submit(user_id=user_id, email=email)

    assert await settled_status(database, user_id) == "done"
    async with database.writers() as session:
        [profile] = await profiles.list_profiles(session, user_ids=[user_id])
    assert (profile.full_name, profile.company, profile.title) == (
        "Ada Lovelace",
        "Analytical Engines",
        "Chief Mathematician",
    )
    assert profile.enriched_at is not None
    assert datetime.now(UTC) - profile.enriched_at < timedelta(minutes=1)
    assert len(clearbit.combined.received(email)) == 3


async def test_an_unknown_person_ends_not_found_without_a_profile(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    new_email: Callable[[], str],
) -> None:
    email = new_email()
    clearbit.combined.script(email, clearbit_error(404))
    user_id = await add_user(database, email)

    (await make_queue()).submit(user_id=user_id, email=email)

    assert await settled_status(database, user_id) == "not_found"
    async with database.writers() as session:
        assert await profiles.list_profiles(session, user_ids=[user_id]) == []


async def test_transient_errors_are_retried_until_the_lookup_succeeds(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    new_email: Callable[[], str],
) -> None:
    email = new_email()
    clearbit.combined.script(
        email, clearbit_error(500), clearbit_error(429, retry_after=0), person()
    )
    user_id = await add_user(database, email)

    (await make_queue()).submit(user_id=user_id, email=email)

    assert await settled_status(database, user_id) == "done"


async def test_a_lookup_still_queued_after_the_last_attempt_ends_failed(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    new_email: Callable[[], str],
) -> None:
    email = new_email()
    clearbit.combined.script(email, still_running())
    user_id = await add_user(database, email)

    (await make_queue(max_attempts=3)).submit(user_id=user_id, email=email)

    assert await settled_status(database, user_id) == "failed"
    assert len(clearbit.combined.received(email)) == 3


async def test_a_refused_lookup_fails_without_retrying(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    new_email: Callable[[], str],
) -> None:
    email = new_email()
    clearbit.combined.script(email, clearbit_error(422))
    user_id = await add_user(database, email)

    (await make_queue()).submit(user_id=user_id, email=email)

    assert await settled_status(database, user_id) == "failed"
    assert len(clearbit.combined.received(email)) == 1


class FlakyEnricher:
    """Raises on the first lookup, as a custom provider might for a transient error."""

    def __init__(self, inner: Enricher) -> None:
        self.inner = inner
        self.calls = 0

    async def lookup(self, email: str) -> LookupResult:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionResetError
        return await self.inner.lookup(email)


async def test_an_enricher_that_raises_is_retried(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    lookup: CombinedLookup,
    new_email: Callable[[], str],
) -> None:
    email = new_email()
    clearbit.combined.script(email, person())
    user_id = await add_user(database, email)

    (await make_queue(enricher=FlakyEnricher(lookup))).submit(user_id=user_id, email=email)

    assert await settled_status(database, user_id) == "done"


async def test_a_user_submitted_twice_is_looked_up_once(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    new_email: Callable[[], str],
) -> None:
    email = new_email()
    clearbit.combined.script(email, person())
    user_id = await add_user(database, email)

    queue = await make_queue()
    queue.submit(user_id=user_id, email=email)
    queue.submit(user_id=user_id, email=email)

    assert await settled_status(database, user_id) == "done"
    assert len(clearbit.combined.received(email)) == 1


async def test_users_left_pending_by_an_earlier_run_are_enriched_at_start(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    new_email: Callable[[], str],
) -> None:
    pending, finished, never_enriched = new_email(), new_email(), new_email()
    clearbit.combined.script(pending, person())
    pending_id = await add_user(database, pending)
    await add_user(database, finished, status="done")
    await add_user(database, never_enriched, status=None)

    await make_queue()

    assert await settled_status(database, pending_id) == "done"
    assert clearbit.combined.received(finished) == []
    assert clearbit.combined.received(never_enriched) == []


class PeakCounter:
    """Wraps an enricher and records how many lookups ran at once."""

    def __init__(self, inner: Enricher) -> None:
        self.inner = inner
        self.running = 0
        self.peak = 0

    async def lookup(self, email: str) -> LookupResult:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            return await self.inner.lookup(email)
        finally:
            self.running -= 1


async def test_no_more_lookups_run_at_once_than_the_concurrency(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    lookup: CombinedLookup,
    new_email: Callable[[], str],
) -> None:
    emails = [new_email() for _ in range(6)]
    user_ids = []
    for email in emails:
        clearbit.combined.script(email, slow(person(), 0.05))
        user_ids.append(await add_user(database, email))
    counter = PeakCounter(lookup)

    queue = await make_queue(enricher=counter, concurrency=2)
    for email, user_id in zip(emails, user_ids, strict=True):
        queue.submit(user_id=user_id, email=email)

    assert [await settled_status(database, u) for u in user_ids] == ["done"] * 6
    assert counter.peak == 2


async def test_stop_cancels_a_lookup_in_flight_and_the_next_start_finishes_it(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    new_email: Callable[[], str],
) -> None:
    email = new_email()
    clearbit.combined.script(email, hang())
    user_id = await add_user(database, email)
    queue = await make_queue()
    queue.submit(user_id=user_id, email=email)
    await until_received(clearbit, email)

    started = time.monotonic()
    await queue.stop()

    assert time.monotonic() - started < 0.5
    assert enrichment_tasks() == []
    assert await current_status(database, user_id) == "pending"

    clearbit.combined.script(email, person())
    await make_queue()
    assert await settled_status(database, user_id) == "done"


async def test_stop_cancels_scheduled_retries_and_later_submissions_wait_for_a_restart(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    new_email: Callable[[], str],
) -> None:
    queued, late = new_email(), new_email()
    clearbit.combined.script(queued, still_running())
    queued_id = await add_user(database, queued)
    queue = await make_queue(base_delay=0.1)
    queue.submit(user_id=queued_id, email=queued)
    await until_received(clearbit, queued)

    await queue.stop()
    late_id = await add_user(database, late)
    queue.submit(user_id=late_id, email=late)
    await asyncio.sleep(0.2)

    assert len(clearbit.combined.received(queued)) == 1
    assert clearbit.combined.received(late) == []
    assert enrichment_tasks() == []
    assert await current_status(database, late_id) == "pending"


async def test_a_full_queue_leaves_the_user_pending_for_the_next_start(
    make_queue: Callable[..., Awaitable[EnrichmentQueue]],
    database: Database,
    clearbit: ClearbitStandin,
    new_email: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    busy, waiting, overflow = new_email(), new_email(), new_email()
    clearbit.combined.script(busy, hang())
    queue = await make_queue(concurrency=1, queue_limit=1)
    user_ids = {}
    for email in (busy, waiting, overflow):
        user_ids[email] = await add_user(database, email)
        queue.submit(user_id=user_ids[email], email=email)
        if email == busy:
            await until_received(clearbit, busy)

    assert "queue full" in caplog.text
    await queue.stop()
    clearbit.combined.script(busy, person())
    await make_queue()
    assert [await settled_status(database, user_ids[e]) for e in user_ids] == [
        "done",
        "not_found",
        "not_found",
    ]
