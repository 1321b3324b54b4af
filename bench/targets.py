"""Issue 14's targets, judged on the numbers of one run.

Each target names the scenario it judges and how. A target whose scenario the bench does not
have yet (the share redirect, statistics, webhooks, subscriptions come in later branches) is
printed as "not measured"; adding the scenario to bench/scenarios.py under the name used here
is all it takes to have it judged. A new target is one `Target(...)` line in `TARGETS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.hashing import HashingLimit
    from bench.report import Summary

MAX_WORKER_RSS_MB = 105.0  # the replaced service's workers after the soak (issue 14)


@dataclass(frozen=True, slots=True)
class Run:
    """What a run measured: scenario medians, the hashing limit, worker RSS after a soak."""

    summaries: dict[str, Summary]
    scenario_names: frozenset[str]  # every scenario the bench has, run or not
    hashing: HashingLimit | None = None
    soak_rss_mb: list[float] = field(default_factory=list)

    def measured(self, name: str) -> Summary | None:
        summary = self.summaries.get(name)
        return summary if summary is not None and summary.runs else None

    def why_not(self, name: str) -> str:
        """Why `name` has no measurement in this run."""
        if name not in self.scenario_names:
            return "no scenario yet"
        summary = self.summaries.get(name)
        if summary is None:
            return "not in --scenarios"
        return summary.not_run or f"skipped: {summary.skipped}"


# A judgement: what was measured (text) and whether the target is met (None: not measured).
Judgement = tuple[str, bool | None]
Judge = Callable[["Run", str], Judgement]  # the run, and the name of the judged scenario


def _on_scenario(judge: Callable[[Summary, Run], Judgement]) -> Judge:
    """A judge of the named scenario's medians; "not measured" when the run has none."""

    def judge_scenario(run: Run, name: str) -> Judgement:
        summary = run.measured(name)
        if summary is None:
            return f"not measured: {run.why_not(name)}", None
        return judge(summary, run)

    return judge_scenario


def share_of(base: str, at_least: float) -> Judge:
    """req/s at least `at_least` of scenario `base`'s req/s in the same run."""

    def judge(summary: Summary, run: Run) -> Judgement:
        reference = run.measured(base)
        if reference is None or not reference.rps:
            return f"{base}: {run.why_not(base)}", None
        share = summary.rps / reference.rps
        return f"{share:.3f}x ({summary.rps:,.1f} / {reference.rps:,.1f})", share >= at_least

    return _on_scenario(judge)


def share_of_hashing_limit(kind: str, at_least: float) -> Judge:
    """req/s at least `at_least` of the argon2id limit (cores / one hash or verify), this run."""

    def judge(summary: Summary, run: Run) -> Judgement:
        if run.hashing is None:
            return "hashing limit not measured", None
        limit = run.hashing.limit(kind)
        share = summary.rps / limit
        return f"{share:.2f}x ({summary.rps:.1f} / {limit:.1f})", share >= at_least

    return _on_scenario(judge)


def p50_within(base: str, factor: float) -> Judge:
    """p50 at most `factor` times scenario `base`'s p50 (costs about the same)."""

    def judge(summary: Summary, run: Run) -> Judgement:
        reference = run.measured(base)
        if reference is None or not reference.p50_ms:
            return f"{base}: {run.why_not(base)}", None
        slower = summary.p50_ms / reference.p50_ms
        measured = f"{slower:.2f}x ({summary.p50_ms:.1f} / {reference.p50_ms:.1f} ms)"
        return measured, slower <= factor

    return _on_scenario(judge)


def rate_at_least(per_second: float, unit: str) -> Judge:
    """The scenario's rate (req/s, or what its scenario counts: events/s) at least this."""

    def judge(summary: Summary, run: Run) -> Judgement:
        return f"{summary.rps:,.1f} {unit}", summary.rps >= per_second

    return _on_scenario(judge)


def p99_below(ms: float) -> Judge:
    def judge(summary: Summary, run: Run) -> Judgement:
        return f"p99 {summary.p99_ms:.1f} ms", summary.p99_ms < ms

    return _on_scenario(judge)


def _numbers_only(summary: Summary, run: Run) -> Judgement:
    return f"{summary.rps:,.1f} req/s, p99 {summary.p99_ms:.1f} ms (no bound set)", None


reported = _on_scenario(_numbers_only)  # no bound set yet: the numbers only


def worker_rss_at_most(mb: float) -> Judge:
    """Every worker's RSS at the end of a `--soak` run at most `mb`."""

    def judge(run: Run, name: str) -> Judgement:
        if not run.soak_rss_mb:
            return "not measured: python -m bench --soak 300", None
        measured = "/".join(f"{value:.1f}" for value in run.soak_rss_mb) + " MB"
        return measured, max(run.soak_rss_mb) <= mb

    return judge


@dataclass(frozen=True, slots=True)
class Target:
    scenario: str
    text: str
    judge: Judge


SOAK = "soak"  # not a scenario: `python -m bench --soak SECONDS`

TARGETS = (
    Target(
        "code-rest", "REST code lookup >= 0.8x the Redis ceiling", share_of("redis-ceiling", 0.8)
    ),
    Target("code-graphql", "codeByEmail >= 0.4x the Redis ceiling", share_of("redis-ceiling", 0.4)),
    Target(
        "referrals-100-full",
        "GraphQL page of 50, id email createdAt >= 0.044x the ceiling",
        share_of("ceiling", 0.044),
    ),
    Target(
        "referrals-rest-100ids",
        "REST by_id, 100 ids >= 0.111x the ceiling",
        share_of("ceiling", 0.111),
    ),
    Target("login", "login >= 0.9x the argon2id limit", share_of_hashing_limit("verify", 0.9)),
    Target("login-rest", "login >= 0.9x the argon2id limit", share_of_hashing_limit("verify", 0.9)),
    Target(
        SOAK,
        f"worker RSS after the soak <= {MAX_WORKER_RSS_MB:.0f} MB",
        worker_rss_at_most(MAX_WORKER_RSS_MB),
    ),
    Target(
        "share-redirect", "GET /r/{code} >= 0.5x the Redis ceiling", share_of("redis-ceiling", 0.5)
    ),
    Target(
        "referral-stats-big",
        "referralStats, 1,000,000 referrals: p50 <= 1.5x with 100 (contract: about the same)",
        p50_within("referral-stats-100", 1.5),
    ),
    Target("leaderboard-big", "leaderboard with a 1,000,000-referral referrer", reported),
    Target(
        "webhook-delivery",
        "webhook delivery >= 200 events/s per instance",
        rate_at_least(200, "events/s"),
    ),
    Target(
        "subscription-fanout",
        "fan-out p99 < 100 ms at 1,000 subscriptions per worker",
        p99_below(100),
    ),
    Target(
        "subscription-fanout-one",
        "one registration heard by all 1,000 subscriptions of a worker at once",
        reported,
    ),
)


def judge_all(run: Run, *, only: frozenset[str] | None = None) -> list[tuple[Target, str, str]]:
    """Every target (or those of the scenarios in `only`): what was measured, and "yes", "NO"
    or "n/a"."""
    verdicts = []
    for target in TARGETS:
        if only is None or target.scenario in only:
            measured, met = target.judge(run, target.scenario)
            verdicts.append((target, measured, "n/a" if met is None else ("yes" if met else "NO")))
    return verdicts


def as_json(run: Run, *, only: frozenset[str] | None = None) -> list[dict[str, str]]:
    return [
        {"target": target.text, "scenario": target.scenario, "measured": measured, "met": met}
        for target, measured, met in judge_all(run, only=only)
    ]


def table(run: Run, *, only: frozenset[str] | None = None) -> str:
    rows = ["| issue 14 target | scenario | measured | met |", "|---|---|---|---|"]
    for target, measured, met in judge_all(run, only=only):
        rows.append(f"| {target.text} | {target.scenario} | {measured} | {met} |")
    return "\n".join(rows)
