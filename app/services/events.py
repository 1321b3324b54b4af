"""The event log: events recorded in the caller's transaction, told to listeners after commit.

`record` writes the event row in the same transaction as the change it tells of (the outbox):
if the change rolls back, so does its event; if it commits, the event is there even when the
process dies at once. `fan_out` runs in that transaction too: webhook deliveries are
scheduled with their event, so a committed event is never without them. Once the transaction
has committed, each listener registered with `subscribe` is told, in this process, in the
order of subscription.
Listeners are awaited on the request's way out: they must be quick (wake a worker, publish),
handing anything slow to a task of their own. One that raises is logged and the others are
still told.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.repositories import events as event_repo

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.domain.events import Event
    from app.uow import Transaction

    Listener = Callable[[Event], Awaitable[None]]
    # Work that belongs in the event's own transaction (scheduling its webhook deliveries).
    FanOut = Callable[[AsyncSession, Event], Awaitable[None]]

logger = logging.getLogger(__name__)


class EventLog:
    """Records events in the outbox and tells in-process listeners once they are committed."""

    def __init__(self, *, fan_out: FanOut | None = None) -> None:
        self._listeners: list[Listener] = []
        self._fan_out = fan_out

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Tell `listener` of every event committed from now on; returns the unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    async def record(self, transaction: Transaction, event: Event) -> None:
        """Write `event` in `transaction`; listeners hear of it after the commit, never before."""
        await event_repo.add(transaction.session, event=event)
        if self._fan_out is not None:
            await self._fan_out(transaction.session, event)
        transaction.after_commit(lambda: self._tell(event))

    async def _tell(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                await listener(event)
            except Exception:
                logger.exception("a listener of %s events failed", event.type)
