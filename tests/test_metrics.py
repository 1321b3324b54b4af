"""The metrics themselves: what each recording function shows in the exposition, alone and
summed over worker processes (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

from app.metrics import Metrics
from tests.instances import ROOT
from tests.metrics import Scrape

if TYPE_CHECKING:
    from pathlib import Path

DELIVERIES = "referrals_webhook_deliveries_total"
LAG = "referrals_webhook_delivery_lag_seconds"
OPEN = "referrals_subscriptions_open"


def exposed(metrics: Metrics) -> Scrape:
    body, media_type = metrics.exposition(None)
    assert media_type.startswith("text/plain; version=0.0.4")
    return Scrape(body.decode())


def test_webhook_deliveries_show_by_outcome_with_their_lag() -> None:
    metrics = Metrics()
    metrics.delivery_finished("delivered", lag_seconds=0.2)
    metrics.delivery_finished("delivered", lag_seconds=0.3)
    metrics.delivery_finished("retrying", lag_seconds=40.0)
    metrics.delivery_finished("failed", lag_seconds=-1.0)  # a clock step back is no lag
    scraped = exposed(metrics)
    assert scraped.value(DELIVERIES, outcome="delivered") == 2
    assert scraped.value(DELIVERIES, outcome="retrying") == 1
    assert scraped.value(DELIVERIES, outcome="failed") == 1
    assert scraped.value(f"{LAG}_count") == 4
    assert scraped.value(f"{LAG}_sum") == 40.5
    assert scraped.value(f"{LAG}_bucket", le="0.5") == 3
    assert scraped.value(f"{LAG}_bucket", le="30.0") == 3
    assert scraped.value(f"{LAG}_bucket", le="60.0") == 4


def test_open_subscriptions_go_up_and_down() -> None:
    metrics = Metrics()
    for _ in range(3):
        metrics.subscription_opened()
    metrics.subscription_closed()
    assert exposed(metrics).value(OPEN) == 2


def test_a_code_outside_the_contract_never_becomes_a_label() -> None:
    metrics = Metrics()
    metrics.errors_answered("graphql", ["NOT_FOUND", "made up by somebody"])
    scraped = exposed(metrics)
    assert scraped.value("referrals_errors_total", transport="graphql", code="NOT_FOUND") == 1
    assert scraped.value("referrals_errors_total", transport="graphql", code="OTHER") == 1
    assert "made up" not in scraped.text


def test_each_metrics_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.subscription_opened()
    assert exposed(second).value(OPEN) == 0


WORKER = """
    import os, sys
    from app.metrics import Metrics

    metrics = Metrics.for_this_process()
    metrics.request_finished("rest", "GET /referrals/by_id/{id}", "ok", 0.01)
    metrics.subscription_opened()
    metrics.delivery_finished("delivered", lag_seconds=1.0)
    print("ready", flush=True)
    if sys.argv[1] == "crash":
        os._exit(1)  # no lifespan end: the gauge file stays behind
    sys.stdin.readline()
    if sys.argv[1] == "stop":
        metrics.close()
"""


def start_worker(folder: Path, how: str) -> subprocess.Popen[str]:
    """A process that records into `folder` as a worker of `serve` would, then ends `how`."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": ROOT, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    worker = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WORKER), how],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline() == "ready\n"
    return worker


def test_workers_add_up_and_only_live_ones_hold_subscriptions_open(tmp_path: Path) -> None:
    crashed = start_worker(tmp_path, "crash")
    assert crashed.wait(timeout=30) == 1
    stopped = start_worker(tmp_path, "stop")
    stopped.communicate("\n", timeout=30)
    running = start_worker(tmp_path, "run")
    try:
        scraped = exposed(Metrics(multiprocess_dir=str(tmp_path)))
        labels = {"transport": "rest", "operation": "GET /referrals/by_id/{id}", "outcome": "ok"}
        assert scraped.value("referrals_request_duration_seconds_count", **labels) == 3
        assert scraped.value(DELIVERIES, outcome="delivered") == 3
        assert scraped.value(f"{LAG}_sum") == 3.0
        assert scraped.value(OPEN) == 1  # the crashed and the stopped worker's are gone
    finally:
        running.communicate("\n", timeout=30)
