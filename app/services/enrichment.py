"""Background enrichment: after a user is committed, look them up and fill in their profile.

Registration sets `enrichment_status='pending'` in the transaction that inserts the user and
submits the user after the commit. That status is the durable queue: whatever a crash or a
shutdown drops from memory, `start()` finds again in the database.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

from app.domain.accounts import EnrichmentStatus
from app.domain.clock import utcnow
from app.integrations.enrichment import LookupResult, LookupStatus
from app.models import Profile
from app.repositories import profiles
from app.uow import unit_of_work

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Any

    from app.db import Database
    from app.domain.profiles import ProfileData
    from app.integrations.enrichment import Enricher

logger = logging.getLogger(__name__)

RECOVERY_BATCH = 500
QUEUE_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class _Job:
    user_id: int
    email: str
    attempt: int = 1


class EnrichmentQueue:
    """Enriches submitted users in the background: bounded concurrency, retries with back-off."""

    def __init__(
        self,
        *,
        enricher: Enricher,
        database: Database,
        concurrency: int = 4,
        max_attempts: int = 8,
        base_delay: float = 5.0,
        max_delay: float = 300.0,
        queue_limit: int = QUEUE_LIMIT,
    ) -> None:
        self._enricher = enricher
        self._database = database
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._queue_limit = queue_limit
        self._queue: asyncio.Queue[_Job] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._retry_timers: dict[int, asyncio.TimerHandle] = {}
        # Users queued, being looked up or waiting for a retry: submitted once, not twice.
        self._tracked: set[int] = set()

    def submit(self, *, user_id: int, email: str) -> None:
        """Enrich this pending user soon; never blocks and never raises."""
        if self._queue is None:
            # Not running: the user stays pending and the next start() picks them up.
            logger.debug("enrichment queue stopped; user %s left pending", user_id)
            return
        if user_id not in self._tracked:
            self._put(_Job(user_id=user_id, email=email))

    async def start(self) -> None:
        """Start the workers, then re-queue users an earlier run left pending."""
        if self._queue is not None:
            return
        queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=self._queue_limit)
        self._queue = queue
        for number in range(self._concurrency):
            self._spawn(self._work(queue), name=f"enrichment-worker-{number}")
        self._spawn(self._recover(queue), name="enrichment-recovery")

    async def stop(self) -> None:
        """Cancel workers and scheduled retries; unfinished users stay pending for next start."""
        self._queue = None
        for timer in self._retry_timers.values():
            timer.cancel()
        self._retry_timers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tracked.clear()

    def _spawn(self, coroutine: Coroutine[Any, Any, None], *, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _put(self, job: _Job) -> None:
        if self._queue is None:
            self._tracked.discard(job.user_id)
            return
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self._tracked.discard(job.user_id)
            logger.warning("enrichment queue full; user %s left pending", job.user_id)
            return
        self._tracked.add(job.user_id)

    async def _recover(self, queue: asyncio.Queue[_Job]) -> None:
        """Queue every pending user, a batch at a time, waiting while the queue is full."""
        after_id = 0
        try:
            while True:
                async with (
                    unit_of_work(self._database, writes=False) as work,
                    work.read() as session,
                ):
                    batch = await profiles.list_pending_enrichments(
                        session, after_id=after_id, limit=RECOVERY_BATCH
                    )
                for pending in batch:
                    if pending.user_id not in self._tracked:
                        self._tracked.add(pending.user_id)
                        await queue.put(_Job(user_id=pending.user_id, email=pending.email))
                if len(batch) < RECOVERY_BATCH:
                    return
                after_id = batch[-1].user_id
        except Exception:
            logger.exception("could not re-queue pending enrichments; they wait for next start")

    async def _work(self, queue: asyncio.Queue[_Job]) -> None:
        while True:
            job = await queue.get()
            try:
                await self._process(job)
            except Exception:
                # The database, most likely: try the job again later rather than lose it.
                logger.exception("enrichment of user %s failed", job.user_id)
                if not self._retry(job, hint=None):
                    self._tracked.discard(job.user_id)

    async def _process(self, job: _Job) -> None:
        async with unit_of_work(self._database, writes=False) as work, work.read() as session:
            status = await profiles.get_enrichment_status(session, user_id=job.user_id)
        if status != EnrichmentStatus.PENDING:
            # Finished by another process, or the user was deleted.
            self._tracked.discard(job.user_id)
            return
        result = await self._lookup(job)
        if result.status is LookupStatus.FOUND:
            await self._finish(job, EnrichmentStatus.DONE, result.profile)
        elif result.status is LookupStatus.NOT_FOUND:
            await self._finish(job, EnrichmentStatus.NOT_FOUND)
        elif not (result.retryable and self._retry(job, hint=result.retry_after)):
            await self._finish(job, EnrichmentStatus.FAILED)

    async def _lookup(self, job: _Job) -> LookupResult:
        try:
            return await self._enricher.lookup(job.email)
        except Exception:
            # An enricher may raise for a transient error; it must not end the worker.
            logger.exception("enrichment lookup for user %s raised", job.user_id)
            return LookupResult(LookupStatus.RETRY)

    async def _finish(
        self, job: _Job, status: EnrichmentStatus, found: ProfileData | None = None
    ) -> None:
        async with unit_of_work(self._database, writes=True) as work, work.write() as transaction:
            session = transaction.session
            still_pending = await profiles.finish_enrichment(
                session, user_id=job.user_id, status=status
            )
            if still_pending and found is not None:
                profile = Profile(user_id=job.user_id, enriched_at=utcnow(), **asdict(found))
                await profiles.upsert_profile(session, profile=profile)
        self._tracked.discard(job.user_id)
        logger.info(
            "enrichment of user %s: %s after %s attempt(s)", job.user_id, status, job.attempt
        )

    def _retry(self, job: _Job, *, hint: float | None) -> bool:
        """Schedule the next attempt with exponential back-off; False when none is left."""
        if job.attempt >= self._max_attempts:
            return False
        backoff = min(self._base_delay * 2 ** (job.attempt - 1), self._max_delay)
        # Jitter spreads retries out; it is not a secret, hence the plain PRNG.
        delay = backoff * random.uniform(0.5, 1.0)  # noqa: S311
        if hint is not None:
            delay = max(delay, min(hint, self._max_delay))
        next_job = replace(job, attempt=job.attempt + 1)
        loop = asyncio.get_running_loop()
        self._retry_timers[job.user_id] = loop.call_later(delay, self._requeue, next_job)
        return True

    def _requeue(self, job: _Job) -> None:
        self._retry_timers.pop(job.user_id, None)
        self._put(job)
