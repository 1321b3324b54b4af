"""The referral-code cache: lookups by owner email and by code value, kept exact.

Entries are `{"v": code}`, `{"none": 1}` or a tombstone `{"stale": token}`. A lookup that
misses remembers what it saw; the caller reads the database and fills the key with SET NX, or
with compare-and-set over the tombstone it saw, so that a fill racing an invalidation loses. An
entry never outlives the expiry of the code it holds. Its `uses` may lag behind the database
(registrations do not rewrite it), but the registration that uses a code up invalidates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from app.domain.clock import utcnow
from app.domain.codes import Code

if TYPE_CHECKING:
    from app.cache.store import CacheStore
    from app.domain.clock import Clock
    from app.metrics import CodeLookup, Metrics


@dataclass(frozen=True, slots=True)
class CachedLookup:
    """What the cache knew: a hit (`value` may be None: known to be absent) or a miss to fill."""

    key: str
    hit: bool
    value: Code | None = None
    seen: str | None = None  # the entry a miss saw (a tombstone), for compare-and-set


def email_key(email: str) -> str:
    return f"code:email:{email}"


def code_key(code: str) -> str:
    return f"code:value:{code}"


class CodeCache:
    """Cached referral codes; the services read the database on a miss and fill it."""

    def __init__(
        self,
        store: CacheStore,
        *,
        ttl: int,
        clock: Clock = utcnow,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self._clock = clock
        self._metrics = metrics

    async def by_email(self, email: str) -> CachedLookup:
        """What is cached for the current code of the user with this (normalised) email."""
        return await self._lookup(email_key(email), "by_email")

    async def by_code(self, code: str) -> CachedLookup:
        """What is cached for this (normalised) code value, whatever its state."""
        return await self._lookup(code_key(code), "by_code")

    async def fill(self, lookup: CachedLookup, value: Code | None) -> None:
        """Remember what the database answered after `lookup` missed, unless it changed since."""
        ttl = self.ttl
        if value is None:
            payload = orjson.dumps({"none": 1}).decode()
        else:
            payload = orjson.dumps({"v": code_to_json(value)}).decode()
            if not value.deleted:
                seconds_left = int((value.expires_at - self._clock()).total_seconds())
                ttl = max(1, min(ttl, seconds_left))
        if lookup.seen is None:
            await self.store.add(lookup.key, payload, ttl=ttl)
        else:
            await self.store.compare_and_set(lookup.key, payload, expected=lookup.seen, ttl=ttl)

    async def invalidate(self, *, email: str | None = None, code: str | None = None) -> None:
        """Forget what is cached for an owner's email and for a code value."""
        if email is not None:
            await self.store.invalidate(email_key(email))
        if code is not None:
            await self.store.invalidate(code_key(code))

    async def _lookup(self, key: str, lookup: CodeLookup) -> CachedLookup:
        found = self._read(key, await self.store.get(key))
        if self._metrics is not None:
            self._metrics.cache_looked_up(lookup, hit=found.hit)
        return found

    @staticmethod
    def _read(key: str, raw: str | None) -> CachedLookup:
        if raw is not None:
            entry = orjson.loads(raw)
            if "v" in entry:
                return CachedLookup(key, hit=True, value=code_from_json(entry["v"]))
            if "none" in entry:
                return CachedLookup(key, hit=True)
        return CachedLookup(key, hit=False, seen=raw)


def code_to_json(code: Code) -> dict[str, Any]:
    return {
        "id": code.id,
        "code": code.code,
        "owner_id": code.owner_id,
        "created_at": code.created_at.isoformat(),
        "expires_at": code.expires_at.isoformat(),
        "deleted": code.deleted,
        "max_uses": code.max_uses,
        "uses": code.uses,
    }


def code_from_json(data: dict[str, Any]) -> Code:
    return Code(
        id=data["id"],
        code=data["code"],
        owner_id=data["owner_id"],
        created_at=datetime.fromisoformat(data["created_at"]),
        expires_at=datetime.fromisoformat(data["expires_at"]),
        deleted=data["deleted"],
        # Absent from entries written before usage limits: those codes had none.
        max_uses=data.get("max_uses"),
        uses=data.get("uses", 0),
    )
