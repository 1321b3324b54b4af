"""The load bench still runs: a quick pass on the embedded backend prints a row per scenario."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.scenarios import NAMES
from bench.wrk import ensure_wrk
from tests.servers import skip_or_fail

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wrk() -> str:
    found = ensure_wrk(install=True)
    if found is None:
        skip_or_fail("wrk is not installed and apt-get could not install it")
    return found


def test_quick_bench_prints_a_row_per_scenario(wrk: str, tmp_path: Path) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL")  # the embedded backend
    }
    results = tmp_path / "results.json"
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-install", "--json", str(results)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output[-4000:]
    for name in NAMES:
        assert f"\n| {name} |" in finished.stdout, f"no row for {name}:\n{output[-4000:]}"
    summaries = json.loads(results.read_text())["summaries"]
    assert set(summaries) == set(NAMES)
    skipped = {name: s["skipped"] for name, s in summaries.items() if s["skipped"] is not None}
    assert not skipped, skipped
    for summary in summaries.values():
        assert summary["rps"] > 0, summary
        assert summary["errors"] == 0, summary
