"""`python -m bench --soak SECONDS`: a mixed load, and what it does to the workers' memory."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from bench import runner
from bench.procs import rss_bytes, worker_pids
from bench.wrk import WrkRun

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from bench import scenarios
    from bench.procs import Children
    from bench.service import Server


SOAK_MIX = (
    ("code-graphql", 12),
    ("code-rest", 4),
    ("referrals-100", 8),
    ("login", 4),
    ("register", 4),
)


def soak(
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
