"""Rate limits on the edges that attackers try first: login, register, refreshToken, codeByEmail.

Counters live in Redis when REDIS_URL is set, so that every instance shares them, and in memory
otherwise. While Redis does not answer, a breaker counts in memory for a few seconds at a time:
the limits stay on, per instance, instead of failing the request.

Every attempt counts, including one among aliased or batched ones: the transport edges call
`hit` once per attempt, inside the resolver or handler. A moving window admits exactly `limit`
attempts in any `window`, however many arrive at once.

Login is limited per client address, per account from that address, and per account from
anywhere. The per-account limit from one address is the tight one and is checked first, so one
address spends at most that much of the account's global budget; the global one is looser and
short, so that holding a victim out takes several addresses and ends a minute after they stop.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from limits import RateLimitItemPerHour, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

from app.domain.accounts import normalize_email
from app.errors import BadUserInput, RateLimited

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from limits import RateLimitItem

    from app.metrics import Metrics
    from app.settings import Settings

logger = logging.getLogger(__name__)

Action = Literal["login", "register", "refresh_token", "code_by_email", "validate_document"]
Scope = Literal["client", "account", "account_client"]

BREAKER_SECONDS = 2.0
KEY_PREFIX = "referrals:limits"


@dataclass(frozen=True, slots=True)
class Rule:
    """At most `limit` attempts per window for each value of `scope`."""

    scope: Scope
    limit: RateLimitItem


RULES: Mapping[Action, Sequence[Rule]] = {
    "login": (
        # Credential stuffing from one address over many accounts.
        Rule("client", RateLimitItemPerMinute(20)),
        # Password guessing on one account from one address.
        Rule("account_client", RateLimitItemPerMinute(5)),
        # Guessing spread over addresses; loose and short so a victim is not held out for long.
        Rule("account", RateLimitItemPerMinute(20)),
    ),
    # Each signup costs a password hash and an email verification: bulk signups stop here.
    "register": (Rule("client", RateLimitItemPerHour(20)),),
    # Refresh tokens cannot be guessed; this bounds the writes of a misbehaving client.
    "refresh_token": (Rule("client", RateLimitItemPerMinute(30)),),
    # Public lookups by email: enough for people, too few to enumerate addresses.
    "code_by_email": (Rule("client", RateLimitItemPerMinute(60)),),
    # GraphQL documents of a shape the server has not validated yet, in units of 100 tokens:
    # 20,000 tokens a minute, so that a client makes the server validate at most twenty
    # documents of the largest size a minute (a front end's few dozen queries are validated
    # once and cost nothing after).
    "validate_document": (Rule("client", RateLimitItemPerMinute(200)),),
}


def client_key(address: str | None) -> str:
    """The address a limit counts by: an IPv6 client by its /64, which one host can rotate in."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def account_key(email: str) -> str:
    """An account as its normalised email would name it, hashed to keep keys short."""
    try:
        account = normalize_email(email)
    except BadUserInput:
        account = email.strip().lower()
    return hashlib.sha256(account.encode()).hexdigest()[:32]


class RateLimiter:
    """Counts attempts per action and raises RateLimited when one is over a limit."""

    def __init__(
        self,
        *,
        rules: Mapping[Action, Sequence[Rule]] = RULES,
        redis_url: str | None = None,
        timeout: float = 0.25,
        metrics: Metrics | None = None,
    ) -> None:
        self.rules = rules
        self.timeout = timeout
        self._metrics = metrics
        self._pool: ConnectionPool | None = None
        self._remote: MovingWindowRateLimiter | None = None
        self._memory: MovingWindowRateLimiter | None = None
        self._open_until = 0.0
        if redis_url and rules:
            self._pool = ConnectionPool.from_url(redis_url, socket_connect_timeout=timeout)
            storage = RedisStorage(
                f"async+{redis_url}",
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix=KEY_PREFIX,
                connection_pool=self._pool,  # type: ignore[arg-type]  # limits types options narrowly
            )
            self._remote = MovingWindowRateLimiter(storage)

    @classmethod
    def from_settings(cls, settings: Settings, *, metrics: Metrics | None = None) -> RateLimiter:
        """The limits of the contract, or none with RATE_LIMITS=off; refusals are counted in
        `metrics`."""
        return cls(
            rules=RULES if settings.rate_limits_enabled else {},
            redis_url=settings.redis_url,
            timeout=settings.cache_timeout,
            metrics=metrics,
        )

    async def hit(
        self, action: Action, *, client: str | None, account: str | None = None, cost: int = 1
    ) -> None:
        """Count an attempt at `action` (`cost` units of it); RateLimited with the seconds to
        wait when over a limit.

        Rules are checked in order and the first one over its limit stops the count, so a
        rejected attempt does not use up the budgets after it.
        """
        for rule in self.rules.get(action, ()):
            identity = self._identity(rule.scope, client=client, account=account)
            if identity is None:
                continue
            key = (action, rule.scope, identity)
            limiter = await self._hit(rule.limit, *key, cost=cost)
            if limiter is not None:
                if self._metrics is not None:
                    self._metrics.rate_limited(action, rule.scope)
                raise RateLimited(retry_after=await self._retry_after(limiter, rule.limit, *key))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    @staticmethod
    def _identity(scope: Scope, *, client: str | None, account: str | None) -> str | None:
        if scope == "client":
            return client_key(client)
        if account is None:
            return None
        if scope == "account":
            return account_key(account)
        return f"{account_key(account)}@{client_key(client)}"

    async def _hit(
        self, item: RateLimitItem, *identifiers: str, cost: int = 1
    ) -> MovingWindowRateLimiter | None:
        """None when the attempt fits; else the limiter that refused it."""
        if self._remote is not None and time.monotonic() >= self._open_until:
            try:
                async with asyncio.timeout(self.timeout * 2):
                    admitted = await self._remote.hit(item, *identifiers, cost=cost)
            except (StorageError, OSError, TimeoutError) as exc:
                logger.warning("rate limits count in memory: Redis failed (%s)", type(exc).__name__)
                self._open_until = time.monotonic() + BREAKER_SECONDS
            else:
                return None if admitted else self._remote
        memory = self._memory_limiter()
        return None if await memory.hit(item, *identifiers, cost=cost) else memory

    def _memory_limiter(self) -> MovingWindowRateLimiter:
        # Built on first use: the memory storage starts a task, so it needs a running loop.
        if self._memory is None:
            self._memory = MovingWindowRateLimiter(MemoryStorage())
        return self._memory

    async def _retry_after(
        self, limiter: MovingWindowRateLimiter, item: RateLimitItem, *identifiers: str
    ) -> int:
        """Whole seconds until the oldest counted attempt leaves the window."""
        try:
            async with asyncio.timeout(self.timeout * 2):
                stats = await limiter.get_window_stats(item, *identifiers)
        except (StorageError, OSError, TimeoutError):
            return item.get_expiry()
        return max(1, math.ceil(stats.reset_time - time.time()))
