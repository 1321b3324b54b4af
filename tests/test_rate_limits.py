"""The rate limiter on its own: exact accounting under concurrency, Redis fallback, keys."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import pytest
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond

from app.errors import RateLimited
from app.rate_limits import RateLimiter, Rule, account_key, client_key
from tests.api import unique_client
from tests.test_health import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

LIMIT = 7


@pytest.fixture
async def limiter(backend: dict[str, Any]) -> AsyncIterator[RateLimiter]:
    """A limiter of LIMIT logins a minute per client, counting where the backend counts.

    Its Redis bound is generous: these tests are about the count, and on a busy machine 50
    connections opened at once can take longer than the service's 0.25 s (whereupon the limiter
    rightly counts in memory, which tests of their own cover).
    """
    rules = {"login": (Rule("client", RateLimitItemPerMinute(LIMIT)),)}
    limiter = RateLimiter(rules=rules, redis_url=backend["redis_url"], timeout=2.0)
    yield limiter
    await limiter.close()


async def admitted(limiter: RateLimiter, attempts: int, *, client: str) -> int:
    """How many of `attempts` concurrent logins from `client` the limiter lets through."""

    async def attempt() -> bool:
        try:
            await limiter.hit("login", client=client)
        except RateLimited:
            return False
        return True

    return sum(await asyncio.gather(*(attempt() for _ in range(attempts))))


async def test_concurrent_attempts_admit_exactly_the_limit(limiter: RateLimiter) -> None:
    assert await admitted(limiter, 50, client=unique_client()) == LIMIT


async def test_each_client_has_its_own_budget(limiter: RateLimiter) -> None:
    first, second = unique_client(), unique_client()
    assert await admitted(limiter, LIMIT + 3, client=first) == LIMIT
    assert await admitted(limiter, LIMIT + 3, client=second) == LIMIT


async def test_retry_after_counts_down_to_the_oldest_attempt(limiter: RateLimiter) -> None:
    client = unique_client()
    assert await admitted(limiter, LIMIT, client=client) == LIMIT
    with pytest.raises(RateLimited) as refused:
        await limiter.hit("login", client=client)
    assert 55 <= refused.value.retry_after <= 60


async def test_an_attempt_is_admitted_again_once_the_window_moves_on(
    backend: dict[str, Any],
) -> None:
    limiter = RateLimiter(
        rules={"register": (Rule("client", RateLimitItemPerSecond(1)),)},
        redis_url=backend["redis_url"],
    )
    client = unique_client()
    await limiter.hit("register", client=client)
    with pytest.raises(RateLimited) as refused:
        await limiter.hit("register", client=client)
    assert refused.value.retry_after == 1
    await asyncio.sleep(1.05)
    await limiter.hit("register", client=client)
    await limiter.close()


async def test_without_rules_nothing_is_limited() -> None:
    limiter = RateLimiter(rules={})
    for _ in range(100):
        await limiter.hit("login", client="127.0.0.1", account="a@example.com")


async def test_limits_count_in_memory_while_redis_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rules = {"login": (Rule("client", RateLimitItemPerMinute(LIMIT)),)}
    limiter = RateLimiter(rules=rules, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.WARNING, logger="app.rate_limits"):
        assert await admitted(limiter, LIMIT + 5, client=unique_client()) == LIMIT
    assert "rate limits count in memory" in caplog.text
    await limiter.close()


def test_ipv6_clients_count_by_their_64_prefix() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_key("192.0.2.7") == "192.0.2.7"
    assert client_key(None) == "unknown"


def test_accounts_are_keyed_by_their_normalised_email() -> None:
    assert account_key(" Jane@Example.COM ") == account_key("jane@example.com")
    assert account_key("jane@example.com") != account_key("john@example.com")
    assert "jane" not in account_key("jane@example.com")
