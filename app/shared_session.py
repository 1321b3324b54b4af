"""A reading session that concurrent tasks of one request share, one statement at a time.

GraphQL resolves sibling fields concurrently (DataLoader batches, the viewer), and SQLAlchemy's
AsyncSession must not be used by two tasks at once. Serialising whole blocks of work with a lock
deadlocks as soon as a block awaits something that needs the session itself (the viewer, a
DataLoader). Here each session method takes its turn alone: the turn lasts one call into
SQLAlchemy and never spans code of ours, so no wait can ever depend on itself.

The session reads only: any statement but a SELECT, or a flush with pending changes, raises
ReadOnlyViolation. Changes go through a write transaction of the unit of work (app.uow).
"""

from __future__ import annotations

import asyncio
import functools
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from sqlalchemy.orm import ORMExecuteState, UOWTransaction

# The AsyncSession methods that run SQLAlchemy code in a greenlet.
SERIALISED_METHODS = (
    "exec",
    "execute",
    "scalar",
    "scalars",
    "get",
    "merge",
    "refresh",
    "flush",
    "commit",
    "rollback",
    "close",
)


class ReadOnlyViolation(RuntimeError):
    """A write reached a reading session: it belongs in a write transaction of the unit of work."""


class ReadingSession(Session):
    """The synchronous session under SharedSession: SELECTs only."""


@event.listens_for(ReadingSession, "do_orm_execute")
def _refuse_writing_statements(state: ORMExecuteState) -> None:
    if not state.is_select:
        raise ReadOnlyViolation("a reading session runs SELECT statements only")


@event.listens_for(ReadingSession, "before_flush")
def _refuse_pending_changes(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyViolation("a reading session cannot flush changes")


class _Turns:
    """One task at a time; the task whose turn it is may enter again (a method calling another)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None

    @asynccontextmanager
    async def take(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and self._holder is task:
            yield
            return
        async with self._lock:
            self._holder = task
            try:
                yield
            finally:
                self._holder = None


class SharedSession(AsyncSession):
    """An AsyncSession on ReadingSession whose methods take turns (see the module's docstring)."""

    sync_session_class = ReadingSession

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.turns = _Turns()


def _in_turn(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def taking_turns(self: SharedSession, *args: Any, **kwargs: Any) -> Any:
        async with self.turns.take():
            return await method(self, *args, **kwargs)

    return taking_turns


for _name in SERIALISED_METHODS:
    setattr(SharedSession, _name, _in_turn(getattr(AsyncSession, _name)))
