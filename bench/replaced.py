"""The replaced service's figures, and the table that puts ours beside them as ratios to ceilings.

Two sets, each used where it was defined:

- issue 6's (`Replaced`): the replaced service alone, wrk -t1 -c32 -d20s, no ceiling measured
  with it. Issue 6's targets ("3x the replaced service") and the main table's "x replaced"
  column divide by these, as the README's tables since the first round do.
- issue 14's (`SIDE_BY_SIDE`): the replaced service and ours in one sitting, with the bare and
  the Redis ceiling of that sitting. Comparing req/s across sittings on a shared machine
  measures the machine; comparing shares of a ceiling does not, so the side-by-side table
  divides the replaced service's req/s by the issue's ceiling and ours by this run's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.report import Summary


@dataclass(frozen=True, slots=True)
class Replaced:
    """The replaced service on the same kind of machine (issue 6): wrk -t1 -c32 -d20s."""

    rps: float
    p50_ms: float
    p99_ms: float


REPLACED_CODE = Replaced(rps=1032, p50_ms=21, p99_ms=154)
REPLACED_REFERRALS = Replaced(rps=682, p50_ms=42, p99_ms=170)
REPLACED_LOGIN = Replaced(rps=4.5, p50_ms=6100, p99_ms=12400)
REPLACED_REGISTER = Replaced(rps=4.4, p50_ms=5600, p99_ms=8600)

# Issue 14's sitting: PostgreSQL 15 + Redis 7, 2 workers, wrk -t1 -c32, keep-alive.
ISSUE_CEILING_RPS = 25_941.0
ISSUE_REDIS_CEILING_RPS = 11_300.0


@dataclass(frozen=True, slots=True)
class SideBySide:
    """One row of issue 14's table: what the replaced service and ours did in that sitting."""

    what: str
    replaced_rps: float
    ours_rps: float | None  # ours in the issue's sitting (None: the issue did not measure it)


SIDE_BY_SIDE: dict[str, SideBySide] = {
    "code-rest": SideBySide("code by email", 1_145, 4_972),
    "code-graphql": SideBySide("code by email", 1_145, 2_224),
    "referrals-100": SideBySide("referrals page, 50 node{id}", 573, 769),
    "referrals-100-full": SideBySide("referrals page, 50 node{id email createdAt}", 573, 188),
    "referrals-rest-100ids": SideBySide("referrals page, 100 ids", 573, 1_582),
    "login": SideBySide("login", 3.2, None),
    "login-rest": SideBySide("login", 3.2, 57.6),
    "register": SideBySide("register", 4.6, None),
    "register-rest": SideBySide("register", 4.6, 54.1),
}


def _share(value: float, base: float | None) -> str:
    return f"{value / base:.3g}" if base else "-"


def _rps(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def side_by_side_table(summaries: dict[str, Summary]) -> str:
    """Issue 14's figures beside this run's, every req/s also as a share of its own ceilings."""
    ceiling = _measured(summaries.get("ceiling"))
    redis_ceiling = _measured(summaries.get("redis-ceiling"))
    rows = [
        f"Issue 14's sitting: ceiling {ISSUE_CEILING_RPS:,.0f} req/s, Redis ceiling"
        f" {ISSUE_REDIS_CEILING_RPS:,.0f}; this run: ceiling "
        + (_rps(ceiling) if ceiling else "not measured")
        + ", Redis ceiling "
        + (_rps(redis_ceiling) if redis_ceiling else "not measured")
        + ". Shares: req/s / the ceiling of the same sitting.",
        "",
        "| scenario | what | replaced req/s (issue) | replaced x ceiling | replaced x Redis"
        " | ours req/s (issue) | ours x ceiling (issue) | ours req/s (this run)"
        " | ours x ceiling | ours x Redis | ours / replaced, as shares of the ceiling |",
        "|" + "---|" * 11,
    ]
    for name, figures in SIDE_BY_SIDE.items():
        summary = summaries.get(name)
        if summary is None:
            continue
        ours = summary.rps if summary.runs else None
        then = figures.ours_rps
        relative = (
            f"{(ours / ceiling) / (figures.replaced_rps / ISSUE_CEILING_RPS):.2f}x"
            if ours and ceiling
            else "-"
        )
        rows.append(
            f"| {name} | {figures.what} | {_rps(figures.replaced_rps)}"
            f" | {_share(figures.replaced_rps, ISSUE_CEILING_RPS)}"
            f" | {_share(figures.replaced_rps, ISSUE_REDIS_CEILING_RPS)}"
            f" | {_rps(then) if then else '-'}"
            f" | {_share(then, ISSUE_CEILING_RPS) if then else '-'}"
            f" | {_rps(ours) if ours else (summary.skipped or summary.not_run or '-')}"
            f" | {_share(ours, ceiling) if ours else '-'}"
            f" | {_share(ours, redis_ceiling) if ours else '-'}"
            f" | {relative} |"
        )
    return "\n".join(rows)


def _measured(summary: Summary | None) -> float | None:
    return summary.rps if summary is not None and summary.runs and summary.rps else None
