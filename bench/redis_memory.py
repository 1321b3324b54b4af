"""`python -m bench --redis-memory N`: what N registrations leave in Redis, per 1,000,000.

Registers N new accounts through the API (GraphQL `register`, a few at a time), and compares
the Redis database before and after: the keys that appeared, grouped by pattern, with their
MEMORY USAGE and TTL, and the server's `used_memory`. Keys that carry one of the run's
registration emails are the service's for sure; other new keys may be ours (keyed by id) or
another client's of a shared Redis, and are listed apart. Per-registration figures are
extrapolated linearly to 1,000,000 registrations; keys with a TTL leave on their own, so what
stays at once is what that many registrations within one TTL would leave.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import redis

from bench.service import PASSWORD, REGISTER

MILLION = 1_000_000
CONCURRENCY = 8  # registrations in flight: enough to keep both workers' hashing threads busy
MEMORY_USAGE_BATCH = 500


@dataclass
class KeyGroup:
    """New keys of one pattern: how many, their memory and their TTLs."""

    pattern: str
    keys: int = 0
    bytes: int = 0
    min_ttl_s: int | None = None  # None: no key of the group expires
    without_ttl: int = 0

    def add(self, memory: int, ttl: int) -> None:
        self.keys += 1
        self.bytes += memory
        if ttl < 0:
            self.without_ttl += 1
        elif self.min_ttl_s is None or ttl < self.min_ttl_s:
            self.min_ttl_s = ttl


ANY_EMAIL = re.compile(r"[^:@\s]+@[^:\s]+")
ID_OR_TOKEN = re.compile(r"[0-9A-Fa-f-]{8,}|[0-9]+")
OTHER_GROUPS_SHOWN = 10


def _pattern(key: str, emails: re.Pattern[str]) -> str:
    """The key with the run's emails as {email}, other addresses as {address}, and ids and hex
    tokens as {n}."""
    key = ANY_EMAIL.sub("{address}", emails.sub("{email}", key))
    return ID_OR_TOKEN.sub("{n}", key)


async def _register(base_url: str, emails: list[str]) -> tuple[int, list[str]]:
    """Register every email; the number that succeeded and a few failures."""
    gate = asyncio.Semaphore(CONCURRENCY)
    failures: list[str] = []

    async def one(client: httpx.AsyncClient, email: str) -> bool:
        variables = {"input": {"email": email, "password": PASSWORD}}
        async with gate:
            try:
                answer = await client.post(
                    "/graphql", json={"query": REGISTER, "variables": variables}
                )
            except httpx.HTTPError as error:
                failures.append(repr(error))
                return False
        if answer.status_code != 200 or "errors" in answer.json():
            failures.append(f"{answer.status_code} {answer.text[:200]}")
            return False
        return True

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        done = await asyncio.gather(*(one(client, email) for email in emails))
    return sum(done), failures[:3]


def _scan(client: redis.Redis) -> set[str]:
    return {key.decode(errors="replace") for key in client.scan_iter(count=1000)}


def _groups(client: redis.Redis, keys: list[str], emails: re.Pattern[str]) -> list[KeyGroup]:
    groups: dict[str, KeyGroup] = defaultdict(lambda: KeyGroup(""))
    for start in range(0, len(keys), MEMORY_USAGE_BATCH):
        batch = keys[start : start + MEMORY_USAGE_BATCH]
        pipeline = client.pipeline(transaction=False)
        for key in batch:
            pipeline.memory_usage(key, samples=0)
            pipeline.ttl(key)
        answers = pipeline.execute()
        for index, key in enumerate(batch):
            memory, ttl = answers[2 * index], answers[2 * index + 1]
            if memory is None or ttl == -2:  # expired or deleted meanwhile
                continue
            pattern = _pattern(key, emails)
            group = groups[pattern]
            group.pattern = pattern
            group.add(int(memory), int(ttl))
    return sorted(groups.values(), key=lambda group: -group.bytes)


def measure(base_url: str, redis_url: str, *, registrations: int, run_id: str) -> dict[str, Any]:
    """Register `registrations` accounts and report what they left in Redis."""
    marker = f"mem-{run_id}"
    emails = [f"{marker}-{index}@bench.example.com" for index in range(registrations)]
    email_pattern = re.compile(re.escape(marker) + r"-[0-9]+@bench\.example\.com")
    client = redis.Redis.from_url(redis_url)
    try:
        before_keys = _scan(client)
        before_memory = int(client.info("memory")["used_memory"])
        started = time.monotonic()
        succeeded, failures = asyncio.run(_register(base_url, emails))
        seconds = time.monotonic() - started
        after_memory = int(client.info("memory")["used_memory"])
        new_keys = sorted(_scan(client) - before_keys)
        ours = [key for key in new_keys if marker in key]
        others = [key for key in new_keys if marker not in key]
        result = {
            "registrations": succeeded,
            "asked": registrations,
            "failures": failures,
            "seconds": seconds,
            "keys_before": len(before_keys),
            "new_keys": len(new_keys),
            "ours": [asdict(group) for group in _groups(client, ours, email_pattern)],
            "others": [asdict(group) for group in _groups(client, others, email_pattern)],
            "used_memory_before": before_memory,
            "used_memory_after": after_memory,
        }
    finally:
        client.close()
    _print(result)
    return result


def _per_million(value: float, registrations: int) -> float:
    return value / registrations * MILLION if registrations else 0.0


def _print_groups(
    title: str, groups: list[dict[str, Any]], count: int, *, shown: int, attributed: bool
) -> None:
    """One table of key groups; per-registration figures only for keys that are ours for sure."""
    print(
        f"\n{title}:\n| new keys | keys | keys per registration | MEMORY USAGE bytes"
        " | bytes per key | shortest TTL s | without TTL | per 1,000,000 registrations |\n|"
        + "---|"
        * 8
    )
    if not groups:
        print("| none |" + " |" * 7)
    for group in groups[:shown]:
        per_key = group["bytes"] / group["keys"] if group["keys"] else 0
        ttl = group["min_ttl_s"] if group["min_ttl_s"] is not None else "-"
        per_registration = f"{group['keys'] / max(count, 1):.2f}" if attributed else "-"
        per_million = (
            f"{_per_million(group['keys'], count):,.0f} keys,"
            f" {_per_million(group['bytes'], count) / 2**20:,.1f} MiB"
            if attributed
            else "-"
        )
        print(
            f"| `{group['pattern']}` | {group['keys']:,} | {per_registration}"
            f" | {group['bytes']:,} | {per_key:.0f} | {ttl} | {group['without_ttl']:,}"
            f" | {per_million} |"
        )
    if len(groups) > shown:
        print(f"| and {len(groups) - shown} smaller patterns |" + " |" * 7)


def _print(result: dict[str, Any]) -> None:
    count = result["registrations"]
    print(
        f"\nRedis memory: {count} of {result['asked']} registrations through GraphQL register"
        f" ({CONCURRENCY} at a time) in {result['seconds']:.1f} s;"
        f" keys in the database {result['keys_before']:,} before, {result['new_keys']:,} new"
    )
    for failure in result["failures"]:
        print(f"  a registration failed: {failure}")
    _print_groups(
        "new keys carrying the registrations' emails (the service's)",
        result["ours"],
        count,
        shown=len(result["ours"]),
        attributed=True,
    )
    _print_groups(
        "other new keys (the service's keyed otherwise, or another client's of this Redis)",
        result["others"],
        count,
        shown=OTHER_GROUPS_SHOWN,
        attributed=False,
    )
    ours_bytes = sum(group["bytes"] for group in result["ours"])
    growth = result["used_memory_after"] - result["used_memory_before"]
    print(
        f"\nper registration: {ours_bytes / max(count, 1):,.0f} bytes in keys carrying its email"
        f" ({_per_million(ours_bytes, count) / 2**20:,.1f} MiB per 1,000,000 within their TTL);"
        f" used_memory grew {growth:,} bytes, {growth / max(count, 1):,.0f} per registration"
        f" ({_per_million(growth, count) / 2**20:,.1f} MiB per 1,000,000; the whole server,"
        " other clients included)"
    )
