"""Running one scenario: warm up, load with wrk, and watch the workers while it runs."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from bench.procs import (
    children_cpu_seconds,
    connections_per_worker,
    cpu_seconds_of,
    cpu_times,
    machine_busy_seconds,
    rss_bytes,
    worker_pids,
)
from bench.wrk import WrkRun

if TYPE_CHECKING:
    from pathlib import Path

    from bench.procs import Children
    from bench.scenarios import Scenario
    from bench.service import Server
    from bench.wrk import Request


@dataclass(frozen=True, slots=True)
class LoadSettings:
    duration: int
    connections: int
    threads: int
    warmup: int
    quiet_wait: float = 0.0  # at most this long, wait for other work on the machine to calm down


@dataclass
class Measurement:
    """One run of one scenario, or why it did not run."""

    scenario: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    sample_error: str = ""
    worker_cpu_s: list[float] = field(default_factory=list)
    worker_connections: list[int] = field(default_factory=list)
    worker_rss_mb: list[float] = field(default_factory=list)
    beside_rps: float | None = None
    beside_p99_ms: float | None = None
    skipped: str | None = None  # the probe's answer was wrong: a failure of the bench run
    not_run: str | None = None  # by design (the backend lacks what the scenario measures)
    error_kinds: dict[str, int] = field(default_factory=dict)
    settle_s: float = 0.0  # how long the workers took to go idle before the run
    quiet_wait_s: float = 0.0  # how long we waited for the rest of the machine to calm down
    # Where the machine's CPU went while the scenario ran, as shares of all cores' time.
    cpu_workers: float = 0.0
    cpu_wrk: float = 0.0
    cpu_datastores: float = 0.0
    cpu_other: float = 0.0


DATASTORES = frozenset({"postgres", "redis-server"})


def probe(server: Server, request: Request) -> str | None:
    """Send the request once; None when the answer is right, else what is wrong with it."""
    body = request.body
    if body is not None and request.unique_email_prefix is not None:
        body = body.replace("{email}", f"probe-{uuid.uuid4().hex[:12]}@bench.example.com")
    headers = {"Content-Type": request.content_type} if request.content_type else {}
    if request.bearer:
        headers["Authorization"] = f"Bearer {request.bearer}"
    try:
        answer = httpx.request(
            request.method, server.url + request.path, content=body, headers=headers, timeout=30
        )
    except httpx.HTTPError as error:
        return f"no answer: {error!r}"
    text = answer.text
    if answer.status_code != request.expect_status:
        return f"HTTP {answer.status_code}: {text[:200]}"
    if request.expect_text and request.expect_text not in text:
        return f"answer lacks {request.expect_text!r}: {text[:200]}"
    if request.reject_text and request.reject_text in text:
        return f"answer has {request.reject_text!r}: {text[:200]}"
    return None


IDLE_SHARE = 0.05  # of one core, per worker
SETTLE_TIMEOUT = 120.0


def settle(server: Server, *, timeout: float = SETTLE_TIMEOUT) -> float | None:
    """Wait (bounded) until every worker is idle: a load wrk gave up on may still be running.

    Returns the seconds waited, or None when the workers were still busy after `timeout`.
    """
    began = time.monotonic()
    window = 0.5
    while time.monotonic() - began < timeout:
        before = [cpu_times(pid).total for pid in server.workers]
        time.sleep(window)
        after = [cpu_times(pid).total for pid in server.workers]
        busy = [end - start for start, end in zip(before, after, strict=True)]
        if max(busy) <= IDLE_SHARE * window:
            return time.monotonic() - began
    return None


QUIET_SHARE = 0.15  # of the whole machine: busy with work that is not ours


def wait_for_quiet(limit: float) -> float:
    """Wait (at most `limit` s) until processes other than ours leave the machine mostly idle.

    This machine may be shared; a scenario measured while something else burns a core says
    more about that than about the service. Returns the seconds waited.
    """
    began = time.monotonic()
    cores = len(os.sched_getaffinity(0))
    while time.monotonic() - began < limit:
        busy = machine_busy_seconds()
        time.sleep(1.0)
        if (machine_busy_seconds() - busy) / cores <= QUIET_SHARE:
            break
    return time.monotonic() - began


def run(
    scenario: Scenario,
    server: Server,
    *,
    children: Children,
    settings: LoadSettings,
    workdir: Path,
) -> Measurement:
    """Warm up, then measure the scenario with wrk while sampling the workers."""
    if server.process.poll() is not None:
        raise RuntimeError(f"{server.name} died (exit {server.process.returncode})")
    server.workers = worker_pids(server.process.pid)
    script = workdir / f"{scenario.name}.lua"

    def load(request: Request, duration: int, name: str) -> WrkRun:
        return WrkRun(
            children,
            url=server.url,
            request=request,
            script_path=workdir / f"{scenario.name}-{name}.lua",
            duration=duration,
            connections=settings.connections,
            threads=settings.threads,
        )

    waited = settle(server)
    quiet_wait = wait_for_quiet(settings.quiet_wait) if settings.quiet_wait else 0.0
    if settings.warmup:
        load(scenario.request, settings.warmup, "warmup").result()
        waited = settle(server)
    beside = None
    if scenario.beside is not None:
        beside = load(scenario.beside, settings.duration + 2, "beside")
        time.sleep(1.0)  # let the load beside reach its steady state first
    started_cpu = [cpu_times(pid).total for pid in server.workers]
    started_machine, started_stores = machine_busy_seconds(), cpu_seconds_of(DATASTORES)
    started_clock, started_wrk = time.monotonic(), children_cpu_seconds()
    main = WrkRun(
        children,
        url=server.url,
        request=scenario.request,
        script_path=script,
        duration=settings.duration,
        connections=settings.connections,
        threads=settings.threads,
    )
    time.sleep(settings.duration / 2)
    connections = connections_per_worker(server.workers, server.port)
    result = main.result()
    ended_cpu = [cpu_times(pid).total for pid in server.workers]
    machine = machine_busy_seconds() - started_machine
    stores = cpu_seconds_of(DATASTORES) - started_stores
    capacity = (time.monotonic() - started_clock) * len(os.sched_getaffinity(0))
    measurement = Measurement(
        scenario=scenario.name,
        rps=result.rps,
        p50_ms=result.p50_ms,
        p90_ms=result.p90_ms,
        p99_ms=result.p99_ms,
        max_ms=result.max_ms,
        requests=result.requests,
        errors=result.errors,
        sample_error=result.sample_error,
        error_kinds=dict(result.breakdown),
        settle_s=waited if waited is not None else SETTLE_TIMEOUT,
        quiet_wait_s=quiet_wait,
        worker_cpu_s=[end - start for start, end in zip(started_cpu, ended_cpu, strict=True)],
        worker_connections=connections,
        worker_rss_mb=[rss_bytes(pid) / 2**20 for pid in server.workers],
    )
    if beside is not None:
        beside_result = beside.result()
        measurement.beside_rps = beside_result.rps
        measurement.beside_p99_ms = beside_result.p99_ms
        measurement.errors += beside_result.errors
        for kind, count in beside_result.breakdown.items():
            measurement.error_kinds[f"beside {kind}"] = count
    if waited is None:
        measurement.error_kinds["workers still busy before the run"] = 1
    if result.requests == 0:
        measurement.errors += 1
        measurement.error_kinds["no answer in the run"] = 1
    workers_cpu = sum(measurement.worker_cpu_s)
    wrk_cpu = children_cpu_seconds() - started_wrk
    measurement.cpu_workers = workers_cpu / capacity
    measurement.cpu_wrk = wrk_cpu / capacity
    measurement.cpu_datastores = stores / capacity
    measurement.cpu_other = max(0.0, machine - workers_cpu - wrk_cpu - stores) / capacity
    return measurement
