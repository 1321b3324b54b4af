"""`python -m bench`: start the service with its workers, seed it, load it with wrk, report.

The backend follows the environment: PostgreSQL + Redis when DATABASE_URL (and REDIS_URL) are
set, on a fresh database created for the run and dropped after it; the embedded default
(SQLite + in-process memory) otherwise. Every child process is stopped on the way out, on
errors and on Ctrl-C too.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import signal
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import (
    database,
    hashing,
    options,
    redis_memory,
    replaced,
    report,
    runner,
    scenarios,
    service,
    soak,
    targets,
)
from bench.procs import Children
from bench.wrk import ensure_wrk

if TYPE_CHECKING:
    import argparse

    from bench.service import Server

RESULTS = Path(__file__).resolve().parent / "results"


def _stop_on_term() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so that the finally blocks stop every child."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


def main(argv: list[str] | None = None) -> None:
    args = options.parse_args(argv, description=__doc__)
    _stop_on_term()
    if args.nice:
        # Children inherit it: the servers, their workers and wrk (not PostgreSQL or Redis).
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)
    if ensure_wrk(install=not args.no_install) is None:
        print("wrk is missing and could not be installed (apt-get install wrk)", file=sys.stderr)
        raise SystemExit(3)
    children = Children()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            code = _run(args, children, Path(folder))
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        code = 130
    finally:
        children.stop_all()
    raise SystemExit(code)


def _run(args: argparse.Namespace, children: Children, workdir: Path) -> int:
    run_id = uuid.uuid4().hex[:8]
    database_url = os.environ.get("DATABASE_URL") or None
    redis_url = os.environ.get("REDIS_URL") or None
    if args.redis_memory is not None and redis_url is None:
        print("--redis-memory measures Redis: set REDIS_URL", file=sys.stderr)
        return 2
    if args.quiet_wait:
        runner.wait_for_quiet(args.quiet_wait)
    limit, hashed = hashing.measure(rounds=3 if args.quick else 15)
    print(
        f"argon2id (app.security): hash {limit.hash_seconds * 1000:.1f} ms"
        f" (median {limit.hash_median_seconds * 1000:.1f}),"
        f" verify {limit.verify_seconds * 1000:.1f} ms"
        f" (median {limit.verify_median_seconds * 1000:.1f}); limit on {limit.cores} cores:"
        f" {limit.hash_per_second:.1f} hashes/s, {limit.verify_per_second:.1f} verifies/s",
        flush=True,
    )
    with database.fresh_database(database_url, workdir) as db:
        backend = f"{db.label} + {'Redis' if redis_url else 'memory cache'}"
        print(f"backend: {backend}; {args.workers} workers; run {run_id}", flush=True)
        environment = service.service_environment(database_url=db.url, redis_url=redis_url, port=0)
        service.migrate(children, environment, workdir)
        meta = _meta(args, run_id=run_id, backend=backend, limit=limit)

        def start(
            name: str, argv: list[str], probe_path: str, workers: int = args.workers
        ) -> Server:
            return service.start_server(
                children,
                name=name,
                argv=[sys.executable, "-m", *argv, "--workers", str(workers)],
                environment=environment,
                workdir=workdir,
                probe_path=probe_path,
                workers=workers,
            )

        if args.redis_memory is not None:
            assert redis_url is not None
            app_server = start("app", ["app", "serve"], "/health/live")
            memory = redis_memory.measure(
                app_server.url, redis_url, registrations=args.redis_memory, run_id=run_id
            )
            _write_json(args, meta | {"redis_memory": memory}, db.kind, "redis-memory")
            return 0 if memory["registrations"] == args.redis_memory else 1
        started = time.monotonic()
        small = database.seed_referrer(
            db, tag=f"small-{run_id}", referrals=100, hashed_password=hashed
        )
        big = database.seed_referrer(
            db, tag=f"big-{run_id}", referrals=args.big_referrals, hashed_password=hashed
        )
        meta["big_referrals"] = big.referrals
        print(
            f"seeded referrers with {small.referrals:,} and {big.referrals:,} referrals"
            f" in {time.monotonic() - started:.1f} s",
            flush=True,
        )
        app_server = start("app", ["app", "serve"], "/health/live")
        owner = service.seed_owner(app_server.url, run_id=run_id)
        tokens = {
            referrer.id: service.sign_in(app_server.url, email=referrer.email)
            for referrer in (small, big)
        }
        catalogue = scenarios.build(
            owner,
            small,
            big,
            run_id=run_id,
            tokens=tokens,
            quick=args.quick,
            database_url=db.url,
        )
        servers = {"app": app_server}
        if args.soak is None and any(catalogue[name].server == "app-1" for name in args.names):
            servers["app-1"] = start("app-1", ["app", "serve"], "/health/live", workers=1)
        if args.soak is None and "ceiling" in args.names:
            servers["ceiling"] = start("ceiling", ["bench.ceiling"], "/json")
        if args.soak is None and "redis-ceiling" in args.names and redis_url:
            servers["redis-ceiling"] = start("redis-ceiling", ["bench.redis_ceiling"], "/redis")
        print(
            "workers: " + "; ".join(f"{name} {server.workers}" for name, server in servers.items()),
            flush=True,
        )
        if args.soak is not None:
            result = soak.soak(args, children, app_server, catalogue, workdir)
            rss = targets.Run({}, frozenset(scenarios.NAMES), soak_rss_mb=result["end_rss_mb"])
            print()
            print(targets.table(rss, only=frozenset({targets.SOAK})))
            verdicts = targets.as_json(rss, only=frozenset({targets.SOAK}))
            _write_json(args, meta | {"soak": result, "targets": verdicts}, db.kind, "soak")
            return 0 if result["met"] else 1
        summaries = _scenarios(
            args, children, servers, catalogue, workdir, has_redis=redis_url is not None
        )
    verdicts = _report(args, meta, summaries, catalogue, limit)
    runs = {"summaries": {name: dataclasses.asdict(s) for name, s in summaries.items()}}
    _write_json(args, meta | runs | verdicts | {"runs": _RUNS}, db.kind, "scenarios")
    return 0


def _meta(
    args: argparse.Namespace, *, run_id: str, backend: str, limit: hashing.HashingLimit
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "backend": backend,
        "started_at": datetime.now(UTC).isoformat(),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "settings": {
            key: getattr(args, key)
            for key in (
                "duration",
                "warmup",
                "connections",
                "threads",
                "workers",
                "repeat",
                "quiet_wait",
                "nice",
            )
        },
        "hashing": dataclasses.asdict(limit),
    }


def _report(
    args: argparse.Namespace,
    meta: dict[str, Any],
    summaries: dict[str, report.Summary],
    catalogue: dict[str, scenarios.Scenario],
    limit: hashing.HashingLimit,
) -> dict[str, Any]:
    """Print the tables (scenarios, issue 6's checks, issue 14's side by side and targets);
    the checks and targets, for the JSON."""
    checks = report.checks(summaries, catalogue, limit, connections=args.connections)
    run = targets.Run(summaries, frozenset(scenarios.NAMES), hashing=limit)
    print()
    print(
        f"Medians of {args.repeat} run(s); wrk -t{args.threads} -c{args.connections}"
        f" -d{args.duration}s, keep-alive; {meta['backend']}; {args.workers} workers"
    )
    print(report.table(summaries, catalogue, limit))
    print()
    print(report.checks_table(checks))
    print()
    print(replaced.side_by_side_table(summaries))
    print()
    print(targets.table(run))
    for summary in summaries.values():
        if summary.errors:
            print(f"{summary.scenario}: {summary.errors} errors, e.g. {summary.sample_error!r}")
    return {
        "checks": [dataclasses.asdict(check) for check in checks],
        "targets": targets.as_json(run),
    }


_RUNS: list[dict[str, Any]] = []


def _scenarios(
    args: argparse.Namespace,
    children: Children,
    servers: dict[str, Server],
    catalogue: dict[str, scenarios.Scenario],
    workdir: Path,
    *,
    has_redis: bool,
) -> dict[str, report.Summary]:
    settings = runner.LoadSettings(
        duration=args.duration,
        connections=args.connections,
        threads=args.threads,
        warmup=args.warmup,
        quiet_wait=args.quiet_wait,
    )
    absent: dict[str, runner.Measurement] = {}  # not run by design, or a wrong probe answer
    for name in args.names:
        scenario = catalogue[name]
        if scenario.needs_redis and not has_redis:
            absent[name] = runner.Measurement(name, not_run="the embedded backend has no Redis")
            print(f"  {name:<20} not run: {absent[name].not_run}", flush=True)
        elif problem := runner.probe(servers[scenario.server], scenario.request):
            absent[name] = runner.Measurement(name, skipped=f"probe failed: {problem}")
            print(f"  {name:<20} skipped: {absent[name].skipped}", flush=True)
    measurements = {name: [absent[name]] if name in absent else [] for name in args.names}
    for repeat in range(args.repeat):
        for name in args.names:
            if name in absent:
                continue
            scenario = catalogue[name]
            if scenario.drive is not None:
                measurement = scenario.drive(servers[scenario.server])
            else:
                measurement = runner.run(
                    scenario,
                    servers[scenario.server],
                    children=children,
                    settings=settings,
                    workdir=workdir,
                )
            measurements[name].append(measurement)
            _RUNS.append({"repeat": repeat} | dataclasses.asdict(measurement))
            print(
                f"  [{repeat + 1}/{args.repeat}] {name:<20} {measurement.rps:>9.1f} req/s"
                f"  p50 {measurement.p50_ms:>8.1f} ms  p99 {measurement.p99_ms:>8.1f} ms"
                f"  errors {measurement.errors}{measurement.error_kinds or ''}"
                f"  conns {measurement.worker_connections}"
                f"  cpu {[round(cpu, 1) for cpu in measurement.worker_cpu_s]} s"
                f"  machine: workers {measurement.cpu_workers:.0%} wrk {measurement.cpu_wrk:.0%}"
                f" db+cache {measurement.cpu_datastores:.0%} other {measurement.cpu_other:.0%}",
                flush=True,
            )
    return {name: report.summarise(runs) for name, runs in measurements.items()}


def _write_json(args: argparse.Namespace, data: dict[str, Any], kind: str, label: str) -> None:
    if args.json is None:
        return
    if args.json:
        path = Path(args.json)
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backend = "servers" if kind == "postgresql" else "embedded"
        path = RESULTS / f"{stamp}-{backend}-{label}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))
    print(f"wrote {path}")
