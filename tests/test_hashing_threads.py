"""The argon2 thread pool: the machine's cores shared among the worker processes."""

from __future__ import annotations

import os

import pytest

from app.settings import load_settings

CORES = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("workers", "threads"),
    [
        (None, CORES),  # one process: all the cores
        ("1", CORES),
        (str(CORES), 1),  # a worker per core: one thread each
        (str(CORES * 4), 1),  # never none
        ("lots", CORES),  # not a count: as if unset
        ("0", CORES),
    ],
)
def test_each_worker_hashes_on_its_share_of_the_cores(
    monkeypatch: pytest.MonkeyPatch, workers: str | None, threads: int
) -> None:
    if workers is None:
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    else:
        monkeypatch.setenv("WEB_CONCURRENCY", workers)
    assert load_settings(_env_file=None).hashing_threads == threads
