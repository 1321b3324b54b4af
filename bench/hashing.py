"""The argon2id limit: how many hashes per second the machine's cores can do at most."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

from bench.service import PASSWORD


@dataclass(frozen=True, slots=True)
class HashingLimit:
    cores: int
    hash_seconds: float  # one hash (register), the fastest of the rounds
    verify_seconds: float  # one verify (login), the fastest of the rounds
    hash_median_seconds: float = 0.0
    verify_median_seconds: float = 0.0

    @property
    def hash_per_second(self) -> float:
        return self.cores / self.hash_seconds

    @property
    def verify_per_second(self) -> float:
        return self.cores / self.verify_seconds

    def limit(self, kind: str) -> float:
        return self.verify_per_second if kind == "verify" else self.hash_per_second


def measure(rounds: int = 15) -> tuple[HashingLimit, str]:
    """Time app.security's argon2id one call at a time.

    The limit takes the fastest round: on a machine that other work shares, slower rounds
    measure that work, and the limit is what the cores can do when the service has them.
    """
    from app.security import password_context

    hashed = password_context.hash(PASSWORD)  # warm up: allocations, first-call costs
    hash_times, verify_times = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        password_context.hash(PASSWORD)
        hash_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        password_context.verify(PASSWORD, hashed)
        verify_times.append(time.perf_counter() - started)
    cores = len(os.sched_getaffinity(0))
    limit = HashingLimit(
        cores=cores,
        hash_seconds=min(hash_times),
        verify_seconds=min(verify_times),
        hash_median_seconds=statistics.median(hash_times),
        verify_median_seconds=statistics.median(verify_times),
    )
    return limit, hashed
