"""The command line of `python -m bench`."""

from __future__ import annotations

import argparse

from bench import scenarios


def parse_args(argv: list[str] | None, *, description: str | None) -> argparse.Namespace:
    """The options of `python -m bench`, checked, with --quick's small settings applied."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=description)
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
        "--redis-memory",
        type=int,
        default=None,
        metavar="N",
        help="register N accounts and report the keys and memory they leave in Redis",
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
    if args.redis_memory is not None and args.redis_memory < 1:
        parser.error("--redis-memory must be at least 1")
    if args.redis_memory is not None and args.soak is not None:
        parser.error("--redis-memory and --soak are separate runs")
    return args
