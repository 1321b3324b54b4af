"""Revoked access tokens: recorded in the database, remembered until they would expire anyway.

A logout writes its record in the logout's own transaction, so it is durable before it
answers, and every instance reads it: `Sessions` asks in the query that loads the token's user,
which every use of a token makes anyway, so the check costs no round trip of its own. Redis is
not on that path. It could not make it faster (the database is read either way), and it cannot
be trusted to say "not revoked": after a restart with nothing kept, an eviction, or a logout
whose write to it failed while it was frozen, it lacks revocations without knowing it.

The process also mirrors the tokens it revoked itself, and refuses them without any I/O, also
while the database is down. Records of expired tokens are deleted by `prune`, which a
periodic job runs (app.periodic).
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from app.domain.clock import utcnow
from app.repositories import revocations as revocation_repo

if TYPE_CHECKING:
    from datetime import datetime

    from app.domain.clock import Clock
    from app.uow import Transaction, UnitOfWork

PRUNE_BATCH = 1000
# Seconds between prunings; records of expired tokens are harmless meanwhile.
PRUNE_INTERVAL = 600.0


class RevocationList:
    """What logged out tokens are: written with the logout, read by every instance."""

    def __init__(self, *, clock: Clock = utcnow) -> None:
        self._clock = clock
        self._local: dict[str, datetime] = {}
        self._expiries: list[tuple[datetime, str]] = []

    async def revoke(
        self, transaction: Transaction, *, token_id: str, expires_at: datetime
    ) -> None:
        """Deny this token id until its expiry, from the moment the transaction commits."""
        await revocation_repo.add(transaction.session, token_id=token_id, expires_at=expires_at)

        async def remember() -> None:
            self._remember(token_id, expires_at)

        transaction.after_commit(remember)

    def revoked_here(self, token_id: str) -> bool:
        """True when this process revoked the token (no I/O); the database knows the rest."""
        expires_at = self._local.get(token_id)
        return expires_at is not None and expires_at > self._clock()

    async def prune(self, uow: UnitOfWork) -> int:
        """Delete the records of tokens that have expired (refused as expired anyway), in short
        transactions of at most PRUNE_BATCH rows; how many were deleted."""
        deleted = 0
        while True:
            async with uow.write() as transaction:
                batch = await revocation_repo.delete_expired(
                    transaction.session, now=self._clock(), limit=PRUNE_BATCH
                )
            deleted += batch
            if batch < PRUNE_BATCH:
                return deleted

    def _remember(self, token_id: str, expires_at: datetime) -> None:
        now = self._clock()
        while self._expiries and self._expiries[0][0] <= now:
            _, expired = heapq.heappop(self._expiries)
            self._local.pop(expired, None)
        if expires_at > now:
            self._local[token_id] = expires_at
            heapq.heappush(self._expiries, (expires_at, token_id))
