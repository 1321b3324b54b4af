"""Webhook delivery: a worker in each instance makes the attempts that are due.

Deliveries are rows (app.repositories.webhooks), written with their event, so nothing in
memory matters: a worker claims due rows with a lease (one instance per attempt), makes each
attempt with no connection held, and records the result under the same claim. A worker killed
mid-attempt leaves a lease that runs out, and the attempt is made again (same `webhook-id`).
It is woken after each commit that records events (EventLog.subscribe), by its own retry
timers, and otherwise polls, so that it also finds what other instances and earlier runs left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.domain.clock import utcnow
from app.domain.events import Event, EventType
from app.domain.webhooks import parse_retry_after, retry_delay
from app.integrations.webhooks import AttemptResult
from app.repositories import webhooks as webhook_repo
from app.uow import unit_of_work

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.db import Database
    from app.domain.clock import Clock
    from app.integrations.webhooks import WebhookSender
    from app.metrics import DeliveryOutcome, Metrics
    from app.repositories.webhooks import ClaimedDelivery
    from app.security import SecretBox
    from app.uow import Transaction

    # A finished attempt on its way to the database, and where to say how that went.
    _Finished = tuple[ClaimedDelivery, AttemptResult, asyncio.Future[DeliveryOutcome | None]]

logger = logging.getLogger(__name__)

RECORD_BATCH = 200
RECORD_RETRY_FIRST = 0.25  # seconds before recording a batch again, doubling
RECORD_RETRY_MAX = 2.0


@dataclass(frozen=True, slots=True)
class DeliveryRules:
    """The retry schedule (seconds before each retry), the lease of a claim, and how many
    deliveries in a row may end FAILED before their endpoint is disabled."""

    schedule: Sequence[float]
    lease: float
    disable_after: int


class DeliveryWorker:
    """Claims due deliveries and makes their attempts, `concurrency` at a time."""

    def __init__(
        self,
        *,
        database: Database,
        sender: WebhookSender,
        box: SecretBox,
        rules: DeliveryRules,
        metrics: Metrics | None = None,
        concurrency: int = 16,
        poll_interval: float = 1.0,
        clock: Clock = utcnow,
    ) -> None:
        self._database = database
        self._sender = sender
        self._box = box
        self._rules = rules
        self._metrics = metrics
        self._concurrency = concurrency
        self._poll_interval = poll_interval
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._attempts: dict[asyncio.Task[None], ClaimedDelivery] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._results: asyncio.Queue[_Finished] = asyncio.Queue()
        self._recorder_task: asyncio.Task[None] | None = None
        self._secrets: dict[str, str] = {}

    async def notice(self, event: Event) -> None:
        """An EventLog listener: events were committed, deliveries may be due now."""
        self.wake()

    def wake(self) -> None:
        self._wakeup.set()

    async def start(self) -> None:
        self._stopping = False
        self._loop_task = asyncio.create_task(self._run(), name="webhook-delivery")
        self._recorder_task = asyncio.create_task(self._recorder(), name="webhook-results")

    async def stop(self) -> None:
        """Stop claiming, cancel the attempts in flight and give their claims back, so that
        another instance (or the next start) makes them at once. (Were that to fail, or the
        process to die, their leases would run out instead.)"""
        self._stopping = True
        self.wake()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        interrupted = list(self._attempts.values())
        loops = (self._loop_task, self._recorder_task)
        tasks = [task for task in (*loops, *self._attempts) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = self._recorder_task = None
        self._results = asyncio.Queue()
        if interrupted:
            try:
                async with (
                    unit_of_work(self._database, writes=True) as work,
                    work.write() as transaction,
                ):
                    await webhook_repo.release(transaction.session, claims=interrupted)
            except Exception as error:
                logger.warning("could not give back webhook claims (%s)", type(error).__name__)

    async def _run(self) -> None:
        while not self._stopping:
            self._wakeup.clear()
            free = self._concurrency - len(self._attempts)
            if free > 0:
                try:
                    claimed = await self._claim(free)
                except Exception as error:
                    logger.warning("claiming webhook deliveries failed (%s)", type(error).__name__)
                    claimed = []
                for delivery in claimed:
                    task = asyncio.create_task(self._attempt(delivery))
                    self._attempts[task] = delivery
                    task.add_done_callback(self._attempt_done)
                if len(claimed) == free:
                    continue  # more may be due: claim again once a slot is free
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_interval)

    def _attempt_done(self, task: asyncio.Task[None]) -> None:
        self._attempts.pop(task, None)
        self.wake()

    async def _claim(self, limit: int) -> list[ClaimedDelivery]:
        now = self._clock()
        async with unit_of_work(self._database, writes=True) as work, work.write() as transaction:
            return await webhook_repo.claim_due(
                transaction.session,
                now=now,
                lease_until=now + timedelta(seconds=self._rules.lease),
                limit=limit,
            )

    async def _attempt(self, delivery: ClaimedDelivery) -> None:
        started = self._clock()
        event = Event(
            id=delivery.event_id,
            type=EventType(delivery.event_type),
            occurred_at=delivery.occurred_at,
            data=delivery.data,
        )
        secret = self._secret(delivery)
        if secret is None:
            result = AttemptResult(status=None, problem="secret unreadable")
        else:
            result = await self._sender.send(delivery.url, secret=secret, event=event)
        # The result waits for the recorder, which writes many in one transaction.
        recorded: asyncio.Future[DeliveryOutcome | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._results.put_nowait((delivery, result, recorded))
        outcome = await recorded
        if outcome is not None and self._metrics is not None:
            lag = (started - delivery.due_at).total_seconds()
            self._metrics.delivery_finished(outcome, lag_seconds=lag)

    def _secret(self, delivery: ClaimedDelivery) -> str | None:
        """The endpoint's secret, opened once per sealed value."""
        secret = self._secrets.get(delivery.secret_sealed)
        if secret is None:
            try:
                secret = self._box.open(delivery.secret_sealed)
            except ValueError:
                # SECRET_KEY changed since the endpoint was created: nothing can be signed.
                logger.error(
                    "webhook endpoint %s: its secret cannot be opened", delivery.endpoint_id
                )
                return None
            self._secrets[delivery.secret_sealed] = secret
        return secret

    async def _recorder(self) -> None:
        """Write the results of finished attempts, as many as are waiting, a transaction at a
        time. While the database is away a batch is tried again, for up to half a lease: the
        calls were made, and making them again is what recording spares. Past that the batch
        is dropped (its leases run out: the attempts are made again)."""
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._results.get()]
            while len(batch) < RECORD_BATCH and not self._results.empty():
                batch.append(self._results.get_nowait())
            give_up_at = loop.time() + self._rules.lease / 2
            pause = RECORD_RETRY_FIRST
            while True:
                try:
                    outcomes = await self._record(batch)
                    break
                except Exception as error:
                    if loop.time() + pause > give_up_at:
                        logger.warning(
                            "recording %s webhook attempts failed (%s); they will be made again",
                            len(batch),
                            type(error).__name__,
                        )
                        outcomes = [None] * len(batch)
                        break
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, RECORD_RETRY_MAX)
            for (_, _, recorded), outcome in zip(batch, outcomes, strict=True):
                if not recorded.done():
                    recorded.set_result(outcome)

    async def _record(self, batch: list[_Finished]) -> list[DeliveryOutcome | None]:
        """Write the attempts' results; for each, the metric outcome, or None when its claim
        was lost (another worker claimed the row after the lease ran out)."""
        now = self._clock()
        outcomes: list[DeliveryOutcome | None] = []
        async with unit_of_work(self._database, writes=True) as work, work.write() as transaction:
            for delivery, result, _ in batch:
                outcomes.append(await self._record_one(transaction, delivery, result, now=now))
        return outcomes

    async def _record_one(
        self,
        transaction: Transaction,
        delivery: ClaimedDelivery,
        result: AttemptResult,
        *,
        now: datetime,
    ) -> DeliveryOutcome | None:
        session = transaction.session
        if result.delivered:
            assert result.status is not None
            kept = await webhook_repo.succeed(session, claimed=delivery, status=result.status)
            return "delivered" if kept else None
        hint = parse_retry_after(result.retry_after, now=now)
        delay = retry_delay(self._rules.schedule, attempts=delivery.attempts, retry_after=hint)
        if delay is not None:
            kept = await webhook_repo.retry_later(
                session,
                claimed=delivery,
                response_status=result.status,
                next_attempt_at=now + timedelta(seconds=delay),
            )
            if kept:
                transaction.after_commit(lambda: self._wake_in(delay))
            return "retrying" if kept else None
        kept, disabled = await webhook_repo.give_up(
            session,
            claimed=delivery,
            response_status=result.status,
            disable_after=self._rules.disable_after,
            now=now,
        )
        if disabled:
            logger.warning(
                "webhook endpoint %s disabled after %s failed deliveries in a row",
                delivery.endpoint_id,
                self._rules.disable_after,
            )
        return "failed" if kept else None

    async def _wake_in(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(timer)
            self.wake()

        timer = loop.call_later(delay, fire)
        self._timers.add(timer)
