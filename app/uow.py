"""The unit of work: how one request, or one background job, reads and changes the database.

Reads go through `read()`: every read block of a request shares one session (concurrent
resolvers included, see app.shared_session), and the pooled connection goes back as soon as no
read block is open, so that slow work between reads (a password hash, the email verifier) holds
none. Changes go through `write()`: one short transaction that commits when the block ends and
rolls back when it raises; what must follow a commit (cache invalidation, queued work) is
registered on the transaction and runs after it. A unit of work that may not write refuses to
open a transaction, and its reading session refuses any statement but a SELECT.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.db import close_session
from app.shared_session import ReadOnlyViolation

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.db import Database
    from app.shared_session import SharedSession

    AfterCommit = Callable[[], Awaitable[None]]

logger = logging.getLogger(__name__)

__all__ = ["ReadOnlyViolation", "Transaction", "UnitOfWork", "UnitOfWorkClosed"]


class UnitOfWorkClosed(RuntimeError):
    """The request has been answered; nothing more is read for it."""


@dataclass(slots=True)
class Transaction:
    """A write transaction in progress: its session, and what to do once it has committed."""

    session: AsyncSession
    _after_commit: list[AfterCommit] = field(default_factory=list)

    def after_commit(self, action: AfterCommit) -> None:
        """Run `action` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(action)


class UnitOfWork:
    """The database work of one request or job; close it when the request ends."""

    def __init__(self, database: Database, *, writes: bool) -> None:
        self._database = database
        self._writes = writes
        self._reader: SharedSession | None = None
        self._open_reads = 0
        self._closed = False

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """The request's reading session, for the length of the block."""
        if self._closed:
            # A resolver orphaned by an error that ended the operation: its result is dropped.
            raise UnitOfWorkClosed
        if self._reader is None:
            self._reader = self._database.readers()
        reader = self._reader
        self._open_reads += 1
        try:
            yield reader
        finally:
            self._open_reads -= 1
            if self._open_reads == 0:
                # Closing gives the connection back; the session is used again by the next read.
                await close_session(reader)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Transaction]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if not self._writes:
            raise ReadOnlyViolation("this unit of work only reads (a query, a GET)")
        transaction = Transaction(self._database.writers())
        try:
            yield transaction
            await transaction.session.commit()
        finally:
            await close_session(transaction.session)
        for action in transaction._after_commit:
            await _run_after_commit(action)

    @property
    def writes(self) -> bool:
        return self._writes

    def permit_writes(self) -> None:
        """Let this unit of work write: its request turned out to be one that changes things."""
        self._writes = True

    async def close(self) -> None:
        """Give back whatever the unit of work still holds; no read starts after this."""
        self._closed = True
        if self._reader is not None:
            await close_session(self._reader)


async def _run_after_commit(action: AfterCommit) -> None:
    """The change is committed and stands: an action that fails is logged, not raised."""
    try:
        await action()
    except Exception:
        logger.exception("an action after commit failed")


@asynccontextmanager
async def unit_of_work(database: Database, *, writes: bool) -> AsyncIterator[UnitOfWork]:
    """A unit of work for a background job, closed when the block ends."""
    work = UnitOfWork(database, writes=writes)
    try:
        yield work
    finally:
        await work.close()
