"""Medians over repeats, the targets of issue 6, and the table."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.hashing import HashingLimit
    from bench.runner import Measurement
    from bench.scenarios import Scenario


@dataclass
class Summary:
    """The medians of one scenario's runs."""

    scenario: str
    runs: int
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    worker_connections: list[int] = field(default_factory=list)
    worker_cpu_share: list[float] = field(default_factory=list)
    beside_rps: float | None = None
    skipped: str | None = None
    not_run: str | None = None
    sample_error: str = ""
    machine_cpu: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


def summarise(measurements: list[Measurement]) -> Summary:
    """Medians of req/s and latencies; errors summed; workers as seen in the median run."""
    ran = [m for m in measurements if m.skipped is None and m.not_run is None]
    if not ran:
        first = measurements[0]
        return Summary(first.scenario, 0, skipped=first.skipped, not_run=first.not_run)
    by_rps = sorted(ran, key=lambda m: m.rps)
    middle = by_rps[(len(by_rps) - 1) // 2]
    cpu_total = sum(middle.worker_cpu_s) or 1.0
    besides = [m.beside_rps for m in ran if m.beside_rps is not None]
    return Summary(
        scenario=ran[0].scenario,
        runs=len(ran),
        rps=statistics.median(m.rps for m in ran),
        p50_ms=statistics.median(m.p50_ms for m in ran),
        p99_ms=statistics.median(m.p99_ms for m in ran),
        errors=sum(m.errors for m in ran),
        worker_connections=middle.worker_connections,
        worker_cpu_share=[cpu / cpu_total for cpu in middle.worker_cpu_s],
        beside_rps=statistics.median(besides) if besides else None,
        sample_error=next((m.sample_error for m in ran if m.sample_error), ""),
        machine_cpu=(middle.cpu_workers, middle.cpu_wrk, middle.cpu_datastores, middle.cpu_other),
    )


@dataclass(frozen=True, slots=True)
class Check:
    scenario: str
    target: str
    measured: str
    met: bool | None  # None: could not be judged (scenario skipped)


def _ratio(value: float, base: float) -> float:
    return value / base if base else 0.0


def checks(
    summaries: dict[str, Summary],
    scenarios: dict[str, Scenario],
    hashing: HashingLimit | None,
    *,
    connections: int,
) -> list[Check]:
    """Issue 6's targets, judged on this run's medians."""
    found: list[Check] = []
    ceiling = summaries.get("ceiling")

    def ran(name: str) -> Summary | None:
        summary = summaries.get(name)
        return summary if summary is not None and summary.runs else None

    def add(name: str, target: str, measured: str, met: bool | None) -> None:
        if name in summaries:
            found.append(Check(name, target, measured, met if ran(name) else None))

    for name in ("code-rest",):
        if summary := ran(name):
            replaced = scenarios[name].replaced
            assert replaced is not None
            x_replaced = _ratio(summary.rps, replaced.rps)
            x_ceiling = _ratio(summary.rps, ceiling.rps) if ceiling and ceiling.runs else None
            ok = x_replaced >= 3 and (x_ceiling is None or x_ceiling >= 0.5)
            ceiling_text = f", {x_ceiling:.2f}x ceiling" if x_ceiling is not None else ""
            add(name, ">= 3x replaced, >= 0.5x ceiling", f"{x_replaced:.2f}x{ceiling_text}", ok)
        else:
            add(name, ">= 3x replaced, >= 0.5x ceiling", "-", None)
    for name, factor in (("code-graphql", 1.5), ("referrals-100", 2), ("referrals-rest-100", 2)):
        summary = ran(name)
        replaced = scenarios[name].replaced if name in scenarios else None
        if summary and replaced:
            x = _ratio(summary.rps, replaced.rps)
            add(name, f">= {factor:g}x replaced", f"{x:.2f}x", x >= factor)
        else:
            add(name, f">= {factor:g}x replaced", "-", None)
    small, big = ran("referrals-100"), ran("referrals-big")
    if small and big:
        slower = _ratio(big.p50_ms, small.p50_ms)
        add("referrals-big", "p50 <= 1.5x referrals-100", f"{slower:.2f}x", slower <= 1.5)
    else:
        add("referrals-big", "p50 <= 1.5x referrals-100", "-", None)
    for name in ("login", "login-rest", "register", "register-rest"):
        summary = ran(name)
        scenario = scenarios.get(name)
        if summary and scenario and scenario.replaced and hashing and scenario.hashes:
            x = _ratio(summary.rps, scenario.replaced.rps)
            share = _ratio(summary.rps, hashing.limit(scenario.hashes))
            add(
                name,
                ">= 10x replaced, >= 70% of hashing limit",
                f"{x:.1f}x, {share:.0%}",
                x >= 10 and share >= 0.7,
            )
        else:
            add(name, ">= 10x replaced, >= 70% of hashing limit", "-", None)
    if summary := ran("code-under-login"):
        add("code-under-login", "p99 < 50 ms", f"{summary.p99_ms:.1f} ms", summary.p99_ms < 50)
    else:
        add("code-under-login", "p99 < 50 ms", "-", None)
    for name in ("ceiling", "code-graphql"):
        if (summary := ran(name)) and len(summary.worker_connections) > 1:
            fair = connections / len(summary.worker_connections)
            spread = min(summary.worker_connections) >= fair / 2
            add(
                name,
                "keep-alive connections spread over all workers",
                "/".join(map(str, summary.worker_connections)),
                spread,
            )
    return found


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:.1f}"


def _rps(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def table(
    summaries: dict[str, Summary],
    scenarios: dict[str, Scenario],
    hashing: HashingLimit | None,
) -> str:
    """The results as a Markdown table: one row per scenario, in run order."""
    ceiling = summaries.get("ceiling")
    header = (
        "| scenario | req/s | p50 ms | p99 ms | errors | x ceiling | x replaced"
        " | replaced req/s, p50, p99 | conns per worker | CPU per worker"
        " | machine CPU: workers/wrk/db+cache/other |"
    )
    rows = [header, "|" + "---|" * 11]
    for name, summary in summaries.items():
        scenario = scenarios[name]
        if summary.skipped is not None:
            rows.append(f"| {name} | skipped: {summary.skipped} |" + " |" * 9)
            continue
        if summary.not_run is not None:
            rows.append(f"| {name} | not run (by design): {summary.not_run} |" + " |" * 9)
            continue
        x_ceiling = (
            f"{_ratio(summary.rps, ceiling.rps):.2f}"
            if ceiling and ceiling.runs and name != "ceiling"
            else "-"
        )
        replaced = scenario.replaced
        x_replaced = f"{_ratio(summary.rps, replaced.rps):.2f}" if replaced else "-"
        replaced_text = (
            f"{_rps(replaced.rps)}, {_ms(replaced.p50_ms)}, {_ms(replaced.p99_ms)}"
            if replaced
            else "-"
        )
        if scenario.hashes and hashing:
            x_replaced += f" ({_ratio(summary.rps, hashing.limit(scenario.hashes)):.0%} of limit)"
        if summary.beside_rps is not None:
            replaced_text += f"; login beside: {_rps(summary.beside_rps)} req/s"
        rows.append(
            f"| {name} | {_rps(summary.rps)} | {_ms(summary.p50_ms)} | {_ms(summary.p99_ms)}"
            f" | {summary.errors} | {x_ceiling} | {x_replaced} | {replaced_text}"
            f" | {'/'.join(map(str, summary.worker_connections))}"
            f" | {'/'.join(f'{share:.0%}' for share in summary.worker_cpu_share)}"
            f" | {'/'.join(f'{share:.0%}' for share in summary.machine_cpu)} |"
        )
    return "\n".join(rows)


def checks_table(found: list[Check]) -> str:
    rows = ["| scenario | target | measured | met |", "|---|---|---|---|"]
    for check in found:
        verdict = "n/a" if check.met is None else ("yes" if check.met else "NO")
        rows.append(f"| {check.scenario} | {check.target} | {check.measured} | {verdict} |")
    return "\n".join(rows)
