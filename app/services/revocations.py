"""Revoked access tokens, remembered until they would have expired anyway.

Entries go to the shared cache store (so every instance sees a logout) and to a local mirror,
so that a revocation still holds in this process while Redis is down.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.cache import CacheStore


def _key(token_id: str) -> str:
    return f"revoked:{token_id}"


class RevocationList:
    def __init__(self, store: CacheStore) -> None:
        self.store = store
        self._local: dict[str, float] = {}

    async def revoke(self, *, token_id: str, expires_at: datetime) -> None:
        """Deny this token id until its expiry."""
        seconds_left = int((expires_at - datetime.now(UTC)).total_seconds()) + 1
        if seconds_left <= 0:
            return
        self._forget_expired()
        self._local[token_id] = time.monotonic() + seconds_left
        await self.store.set(_key(token_id), "1", ttl=seconds_left)

    async def is_revoked(self, token_id: str) -> bool:
        deadline = self._local.get(token_id)
        if deadline is not None and deadline > time.monotonic():
            return True
        if not self.store.remote:
            return False
        return await self.store.get(_key(token_id)) is not None

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for token_id in [key for key, deadline in self._local.items() if deadline <= now]:
            del self._local[token_id]
