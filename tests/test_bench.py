"""The load bench still runs: a quick pass prints a row per scenario and judges the targets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from bench import targets
from bench.report import Summary
from bench.scenarios import NAMES
from bench.wrk import ensure_wrk
from tests.servers import require_server, skip_or_fail

REPO = Path(__file__).resolve().parent.parent
EMBEDDED_NOT_RUN = {"redis-ceiling": "the embedded backend has no Redis"}


@pytest.fixture(scope="module")
def wrk() -> str:
    found = ensure_wrk(install=True)
    if found is None:
        skip_or_fail("wrk is not installed and apt-get could not install it")
    return found


def run_bench(
    tmp_path: Path, *options: str, database_url: str | None = None, redis_url: str | None = None
) -> tuple[str, dict[str, Any]]:
    """`python -m bench --no-install --json ... OPTIONS` on the given backend: stdout and JSON."""
    environment = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")
    }
    environment |= {"DATABASE_URL": database_url} if database_url else {}
    environment |= {"REDIS_URL": redis_url} if redis_url else {}
    results = tmp_path / "results.json"
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--no-install", "--json", str(results), *options],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output[-4000:]
    return finished.stdout, json.loads(results.read_text())


def verdicts(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The run's issue 14 targets by the scenario each judges."""
    return {row["scenario"]: row for row in data["targets"]}


def test_quick_bench_prints_a_row_per_scenario(wrk: str, tmp_path: Path) -> None:
    stdout, data = run_bench(tmp_path, "--quick")
    for name in NAMES:
        assert f"\n| {name} |" in stdout, f"no row for {name}:\n{stdout[-4000:]}"
    summaries = data["summaries"]
    assert set(summaries) == set(NAMES)
    skipped = {name: s["skipped"] for name, s in summaries.items() if s["skipped"] is not None}
    assert not skipped, skipped
    not_run = {name: s["not_run"] for name, s in summaries.items() if s["not_run"] is not None}
    assert not_run == EMBEDDED_NOT_RUN
    for name, summary in summaries.items():
        if name not in not_run:
            assert summary["rps"] > 0, summary
            assert summary["errors"] == 0, summary
    assert "| referrals-100-full | referrals page, 50 node{id email createdAt} | 573 |" in stdout
    judged = verdicts(data)
    assert len(judged) == len(targets.TARGETS)
    page = judged["referrals-100-full"]
    assert page["met"] in ("yes", "NO"), page
    lookup = judged["code-rest"]
    assert lookup["met"] == "n/a", lookup
    assert "the embedded backend has no Redis" in lookup["measured"]
    delivery = judged["webhook-delivery"]
    assert delivery["measured"].endswith(" events/s"), delivery
    assert delivery["met"] in ("yes", "NO"), delivery


def test_redis_ceiling_is_measured_on_the_servers(wrk: str, tmp_path: Path) -> None:
    database_url = require_server("PostgreSQL", "TEST_DATABASE_URL")
    redis_url = require_server("Redis", "TEST_REDIS_URL")
    _, data = run_bench(
        tmp_path,
        "--quick",
        "--scenarios",
        "ceiling,redis-ceiling,code-rest",
        database_url=database_url,
        redis_url=redis_url,
    )
    ceiling = data["summaries"]["redis-ceiling"]
    assert ceiling["not_run"] is None, ceiling
    assert ceiling["skipped"] is None, ceiling
    assert ceiling["rps"] > 0, ceiling
    assert ceiling["errors"] == 0, ceiling
    lookup = verdicts(data)["code-rest"]
    assert lookup["met"] in ("yes", "NO"), lookup
    assert f"/ {ceiling['rps']:,.1f})" in lookup["measured"], lookup


def test_redis_memory_counts_the_keys_registrations_leave(wrk: str, tmp_path: Path) -> None:
    redis_url = require_server("Redis", "TEST_REDIS_URL")
    stdout, data = run_bench(tmp_path, "--redis-memory", "12", redis_url=redis_url)
    memory = data["redis_memory"]
    assert memory["registrations"] == 12, memory
    client = redis.Redis.from_url(redis_url)
    try:
        left = list(client.scan_iter(match=f"*mem-{data['run_id']}-*", count=1000))
    finally:
        client.close()
    assert sum(group["keys"] for group in memory["ours"]) == len(left), memory
    assert "per 1,000,000 registrations" in stdout


def summary(name: str, rps: float, **fields: Any) -> Summary:
    return Summary(name, runs=1, rps=rps, p50_ms=10.0, p99_ms=20.0, **fields)


def judge(*summaries: Summary) -> dict[str, tuple[str, str]]:
    run = targets.Run({s.scenario: s for s in summaries}, frozenset(NAMES))
    return {target.scenario: (measured, met) for target, measured, met in targets.judge_all(run)}


def test_a_lookup_is_judged_against_the_redis_ceiling_of_the_same_run() -> None:
    judged = judge(summary("redis-ceiling", 10_000), summary("code-rest", 8_100))
    assert judged["code-rest"] == ("0.810x (8,100.0 / 10,000.0)", "yes")
    judged = judge(summary("redis-ceiling", 10_000), summary("code-rest", 7_900))
    assert judged["code-rest"][1] == "NO"


def test_a_target_whose_base_did_not_run_is_not_judged() -> None:
    not_run = Summary("redis-ceiling", runs=0, not_run="the embedded backend has no Redis")
    judged = judge(not_run, summary("code-graphql", 5_000))
    assert judged["code-graphql"] == ("redis-ceiling: the embedded backend has no Redis", "n/a")
    assert judged["code-rest"] == ("not measured: not in --scenarios", "n/a")
    # Every target has its scenario now: one the bench lacked would be judged so.
    lacking = targets.Run({}, frozenset(NAMES) - {"share-redirect"})
    assert lacking.why_not("share-redirect") == "no scenario yet"
