"""`python -m bench`: start the service with its workers, seed it, load it with wrk, report.

The backend follows the environment: PostgreSQL + Redis when DATABASE_URL (and REDIS_URL) are
set, on a fresh database created for the run and dropped after it; the embedded default
(SQLite + in-process memory) otherwise. Every child process is stopped on the way out, on
errors and on Ctrl-C too.
"""

from __future__ import annotations

import argparse
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

from bench import database, hashing, report, runner, scenarios, service
from bench.procs import Children, rss_bytes, worker_pids
from bench.wrk import WrkRun, ensure_wrk

if TYPE_CHECKING:
    from bench.service import Server

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny load, a few seconds: for tests")
    parser.add_argument("--duration", type=int, default=20, help="seconds per scenario (20)")
    parser.add_argument("--warmup", type=int, default=None, help="seconds of warm-up (3)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario; medians")
    parser.add_argument(
        "--scenarios",
        default=",".join(scenarios.NAMES),
        help="comma-separated, from: " + ", ".join(scenarios.NAMES),
    )
    parser.add_argument(
        "--big-referrals", type=int, default=None, help="referrals of the big referrer (1000000)"
    )
    parser.add_argument(
        "--soak", type=int, default=None, metavar="SECONDS", help="memory soak: mixed load"
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="also write JSON (default: bench/results/<time>-<backend>.json)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=None,
        metavar="SECONDS",
        help="before each scenario, wait up to this long for other load on the machine (30)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run the bench, its servers and wrk at this niceness (negative needs root):"
        " on a shared machine, favours the measurement over unrelated work (0)",
    )
    parser.add_argument("--no-install", action="store_true", help="do not apt-get install wrk")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = 1
        args.connections = min(args.connections, 8)
        args.warmup = 0 if args.warmup is None else args.warmup
        args.big_referrals = args.big_referrals or 2_000
        args.repeat = 1
        args.quiet_wait = 0.0 if args.quiet_wait is None else args.quiet_wait
    args.warmup = 3 if args.warmup is None else args.warmup
    args.quiet_wait = 30.0 if args.quiet_wait is None else args.quiet_wait
    args.big_referrals = args.big_referrals or 1_000_000
    names = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = sorted(set(names) - set(scenarios.NAMES))
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    args.names = [name for name in scenarios.NAMES if name in names]
    if args.repeat < 1 or args.duration < 1 or args.connections < 1:
        parser.error("--repeat, --duration and --connections must be at least 1")
    return args


def _stop_on_term() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so that the finally blocks stop every child."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
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
        started = time.monotonic()
        small = database.seed_referrer(
            db, tag=f"small-{run_id}", referrals=100, hashed_password=hashed
        )
        big = database.seed_referrer(
            db, tag=f"big-{run_id}", referrals=args.big_referrals, hashed_password=hashed
        )
        print(
            f"seeded referrers with {small.referrals:,} and {big.referrals:,} referrals"
            f" in {time.monotonic() - started:.1f} s",
            flush=True,
        )
        app_server = service.start_server(
            children,
            name="app",
            argv=[sys.executable, "-m", "app", "serve", "--workers", str(args.workers)],
            environment=environment,
            workdir=workdir,
            probe_path="/health/live",
            workers=args.workers,
        )
        owner = service.seed_owner(app_server.url, run_id=run_id)
        catalogue = scenarios.build(owner, small, big, run_id=run_id)
        servers = {"app": app_server}
        if args.soak is None and "ceiling" in args.names:
            servers["ceiling"] = service.start_server(
                children,
                name="ceiling",
                argv=[sys.executable, "-m", "bench.ceiling", "--workers", str(args.workers)],
                environment=environment,
                workdir=workdir,
                probe_path="/json",
                workers=args.workers,
            )
        print(
            "workers: " + "; ".join(f"{name} {server.workers}" for name, server in servers.items()),
            flush=True,
        )
        meta: dict[str, Any] = {
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
            "big_referrals": big.referrals,
        }
        if args.soak is not None:
            result = _soak(args, children, app_server, catalogue, workdir)
            _write_json(args, meta | {"soak": result}, db.kind, redis_url)
            return 0 if result["met"] else 1
        summaries = _scenarios(args, children, servers, catalogue, workdir)
    found = report.checks(summaries, catalogue, limit, connections=args.connections)
    print()
    print(
        f"Medians of {args.repeat} run(s); wrk -t{args.threads} -c{args.connections}"
        f" -d{args.duration}s, keep-alive; {backend}; {args.workers} workers"
    )
    print(report.table(summaries, catalogue, limit))
    print()
    print(report.checks_table(found))
    for summary in summaries.values():
        if summary.errors:
            print(f"{summary.scenario}: {summary.errors} errors, e.g. {summary.sample_error!r}")
    _write_json(
        args,
        meta
        | {
            "summaries": {name: dataclasses.asdict(s) for name, s in summaries.items()},
            "checks": [dataclasses.asdict(check) for check in found],
            "runs": _RUNS,
        },
        db.kind,
        redis_url,
    )
    return 0


_RUNS: list[dict[str, Any]] = []


def _scenarios(
    args: argparse.Namespace,
    children: Children,
    servers: dict[str, Server],
    catalogue: dict[str, scenarios.Scenario],
    workdir: Path,
) -> dict[str, report.Summary]:
    settings = runner.LoadSettings(
        duration=args.duration,
        connections=args.connections,
        threads=args.threads,
        warmup=args.warmup,
        quiet_wait=args.quiet_wait,
    )
    skipped: dict[str, str] = {}
    for name in args.names:
        scenario = catalogue[name]
        server = servers[scenario.server]
        problem = runner.probe(server, scenario.request)
        if problem:
            skipped[name] = f"probe failed: {problem}"
    measurements: dict[str, list[runner.Measurement]] = {name: [] for name in args.names}
    for repeat in range(args.repeat):
        for name in args.names:
            if name in skipped:
                if repeat == 0:
                    measurements[name].append(runner.Measurement(name, skipped=skipped[name]))
                    print(f"  {name:<20} skipped: {skipped[name]}", flush=True)
                continue
            scenario = catalogue[name]
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


SOAK_MIX = (
    ("code-graphql", 12),
    ("code-rest", 4),
    ("referrals-100", 8),
    ("login", 4),
    ("register", 4),
)


def _soak(
    args: argparse.Namespace,
    children: Children,
    server: Server,
    catalogue: dict[str, scenarios.Scenario],
    workdir: Path,
) -> dict[str, Any]:
    """A mixed load for `--soak` seconds; worker RSS after a warm-up, during, and at the end."""
    mix = []
    for name, connections in SOAK_MIX:
        scenario = catalogue[name]
        if runner.probe(server, scenario.request) is None:
            mix.append((scenario, connections))
        else:
            print(f"  soak: leaving out {name} (probe failed)", flush=True)
    warmup = max(5, min(30, args.soak // 10))

    def start(duration: int, label: str) -> list[tuple[str, WrkRun]]:
        return [
            (
                scenario.name,
                WrkRun(
                    children,
                    url=server.url,
                    request=scenario.request,
                    script_path=workdir / f"soak-{label}-{scenario.name}.lua",
                    duration=duration,
                    connections=connections,
                ),
            )
            for scenario, connections in mix
        ]

    workers = worker_pids(server.process.pid)
    launch_rss = [rss_bytes(pid) for pid in workers]
    print(f"soak: warm-up {warmup} s of mixed load", flush=True)
    for _, load in start(warmup, "warmup"):
        load.result()
    start_rss = [rss_bytes(pid) for pid in workers]
    loads = start(args.soak, "main")
    samples = []
    began = time.monotonic()
    interval = max(1, min(30, args.soak // 10))
    while (elapsed := time.monotonic() - began) < args.soak:
        time.sleep(min(interval, max(0.1, args.soak - elapsed)))
        sample = [round(rss_bytes(pid) / 2**20, 1) for pid in workers]
        samples.append({"t": round(time.monotonic() - began), "rss_mb": sample})
        print(f"  soak t={samples[-1]['t']:>4} s  worker RSS MB {sample}", flush=True)
    results = {name: load.result() for name, load in loads}
    end_rss = [rss_bytes(pid) for pid in workers]
    growth = [(end - begin) / begin for begin, end in zip(start_rss, end_rss, strict=True)]
    met = all(value <= 0.10 for value in growth) and worker_pids(server.process.pid) == workers
    print()
    print(f"Soak: {args.soak} s mixed load ({', '.join(f'{s.name} x{c}' for s, c in mix)})")
    print("| worker | RSS at launch MB | RSS after warm-up MB | RSS at end MB | growth |")
    print("|---|---|---|---|---|")
    for pid, launch, begin, end, change in zip(
        workers, launch_rss, start_rss, end_rss, growth, strict=True
    ):
        print(
            f"| {pid} | {launch / 2**20:.1f} | {begin / 2**20:.1f} | {end / 2**20:.1f}"
            f" | {change:+.1%} |"
        )
    print()
    print("| load | req/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|")
    for name, result in results.items():
        print(
            f"| {name} | {result.rps:.1f} | {result.p50_ms:.1f} | {result.p99_ms:.1f}"
            f" | {result.errors} |"
        )
    print(f"\nworker RSS flat within 10%: {'yes' if met else 'NO'}")
    return {
        "seconds": args.soak,
        "workers": workers,
        "launch_rss_mb": [value / 2**20 for value in launch_rss],
        "start_rss_mb": [value / 2**20 for value in start_rss],
        "end_rss_mb": [value / 2**20 for value in end_rss],
        "growth": growth,
        "samples": samples,
        "loads": {name: dataclasses.asdict(result) for name, result in results.items()},
        "met": met,
    }


def _write_json(
    args: argparse.Namespace, data: dict[str, Any], kind: str, redis_url: str | None
) -> None:
    if args.json is None:
        return
    if args.json:
        path = Path(args.json)
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backend = "servers" if kind == "postgresql" else "embedded"
        label = "soak" if args.soak is not None else "scenarios"
        path = RESULTS / f"{stamp}-{backend}-{label}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str))
    print(f"wrote {path}")
