"""The service's Prometheus metrics: every metric object, and one small function to record each.

One `Metrics` is built per process, in the lifespan (`app.main.open_runtime`), and handed to
whatever records: the transports (requests, errors), the code cache (hits and misses), the rate
limiter (refusals); webhook delivery and subscriptions call `delivery_finished`,
`subscription_opened` and `subscription_closed`. Each `Metrics` has its own registry, so that
several apps in one process (the tests) never see each other's numbers.

With several workers (`serve --workers N`) a scrape reaches one of them, so `serve` sets
PROMETHEUS_MULTIPROC_DIR (app.serving) and prometheus-client keeps every worker's values in
files there; a scrape reads them all. The open subscriptions gauge sums the live workers only.

Labels stay few and bounded: `transport` is graphql or rest; `operation` is a REST route
template or a GraphQL operation type and root field, never text a client chose; `outcome` is
one of OUTCOMES; `code` a contract error code.
"""

from __future__ import annotations

import glob
import os
from typing import TYPE_CHECKING, Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from app.errors import ErrorCode

if TYPE_CHECKING:
    from collections.abc import Iterable

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus-client itself

Transport = Literal["graphql", "rest"]
Outcome = Literal["ok", "client_error", "server_error"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "client_error", "server_error")
DeliveryOutcome = Literal["delivered", "retrying", "failed"]
DELIVERY_OUTCOMES: tuple[DeliveryOutcome, ...] = ("delivered", "retrying", "failed")
CodeLookup = Literal["by_email", "by_code"]
# The errors whose fault is the service's, not the client's.
SERVER_ERRORS = frozenset({ErrorCode.INTERNAL_SERVER_ERROR, ErrorCode.SERVICE_UNAVAILABLE})
OTHER_CODE = "OTHER"  # a code outside the contract's (never expected), kept out of the labels

# Seconds: a cached lookup takes about a millisecond, a login a few hundred (argon2id).
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds a delivery attempt started after it was due: workers keeping up, or falling behind.
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


def outcome_of_status(status: int) -> Outcome:
    """The outcome of an HTTP answer, by its status class."""
    if status < 400:
        return "ok"
    return "client_error" if status < 500 else "server_error"


def outcome_of_codes(codes: Iterable[str]) -> Outcome:
    """The outcome of an answer carrying errors with these contract codes (none: ok)."""
    outcome: Outcome = "ok"
    for code in codes:
        if code in SERVER_ERRORS:
            return "server_error"
        outcome = "client_error"
    return outcome


class Metrics:
    """Every metric of one process, and the exposition a scrape reads.

    `multiprocess_dir` is where prometheus-client keeps the values of every worker (set by
    `serve`); without it, the values are this process's alone.
    """

    def __init__(
        self, *, multiprocess_dir: str | None = None, error_codes: Iterable[str] = ErrorCode
    ) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        registry = self.registry
        self._requests = Histogram(
            "referrals_request_duration_seconds",
            "GraphQL operations and REST calls, by transport, operation and outcome "
            "(the _count series counts them).",
            ["transport", "operation", "outcome"],
            buckets=REQUEST_BUCKETS,
            registry=registry,
        )
        self._errors = Counter(
            "referrals_errors",
            "Errors answered, by transport and contract code (one per error of a GraphQL answer).",
            ["transport", "code"],
            registry=registry,
        )
        self._cache = Counter(
            "referrals_code_cache_lookups",
            "Referral code cache lookups, by lookup (by_email, by_code) and result (hit, miss).",
            ["lookup", "result"],
            registry=registry,
        )
        self._refusals = Counter(
            "referrals_rate_limit_refusals",
            "Attempts refused by a rate limit, by action and the scope of the limit.",
            ["action", "scope"],
            registry=registry,
        )
        self._deliveries = Counter(
            "referrals_webhook_deliveries",
            "Webhook delivery attempts, by outcome: delivered, retrying (another attempt is "
            "scheduled) or failed (given up).",
            ["outcome"],
            registry=registry,
        )
        self._delivery_lag = Histogram(
            "referrals_webhook_delivery_lag_seconds",
            "Seconds between when a delivery attempt was due and when it started.",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self._subscriptions = Gauge(
            "referrals_subscriptions_open",
            "GraphQL subscriptions open now, over every live worker.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self._known_codes = frozenset(error_codes)
        self._request_series: dict[tuple[str, str, str], Histogram] = {}
        self._error_series: dict[tuple[str, str], Counter] = {}
        self._cache_series = {
            (lookup, hit): self._cache.labels(lookup, "hit" if hit else "miss")
            for lookup in ("by_email", "by_code")
            for hit in (True, False)
        }
        for outcome in DELIVERY_OUTCOMES:
            self._deliveries.labels(outcome)

    @classmethod
    def for_this_process(cls, *, error_codes: Iterable[str] = ErrorCode) -> Metrics:
        """The metrics of this process, shared with its sibling workers' when `serve` set
        PROMETHEUS_MULTIPROC_DIR."""
        return cls(
            multiprocess_dir=os.environ.get(MULTIPROCESS_DIR_VARIABLE) or None,
            error_codes=error_codes,
        )

    def request_finished(
        self, transport: Transport, operation: str, outcome: Outcome, seconds: float
    ) -> None:
        """One operation or call answered after `seconds`."""
        key = (transport, operation, outcome)
        series = self._request_series.get(key)
        if series is None:
            series = self._request_series[key] = self._requests.labels(*key)
        series.observe(seconds)

    def errors_answered(self, transport: Transport, codes: Iterable[str]) -> None:
        """Errors with these contract codes answered over `transport`."""
        for code in codes:
            key = (transport, code if code in self._known_codes else OTHER_CODE)
            series = self._error_series.get(key)
            if series is None:
                series = self._error_series[key] = self._errors.labels(*key)
            series.inc()

    def cache_looked_up(self, lookup: CodeLookup, *, hit: bool) -> None:
        """A code cache lookup that hit (or missed: the database is read)."""
        self._cache_series[lookup, hit].inc()

    def rate_limited(self, action: str, scope: str) -> None:
        """An attempt at `action` refused by the limit on `scope` (app.rate_limits.RULES)."""
        self._refusals.labels(action, scope).inc()

    def delivery_finished(self, outcome: DeliveryOutcome, *, lag_seconds: float) -> None:
        """A webhook delivery attempt ended with `outcome`; it started `lag_seconds` after it
        was due (after the event's commit for a first attempt, after its scheduled retry
        time for the others)."""
        self._deliveries.labels(outcome).inc()
        self._delivery_lag.observe(max(0.0, lag_seconds))

    def subscription_opened(self) -> None:
        """A GraphQL subscription started; call `subscription_closed` when it ends."""
        self._subscriptions.inc()

    def subscription_closed(self) -> None:
        self._subscriptions.dec()

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The text a scrape reads, in the format its Accept header asks for, and its media
        type: Prometheus' text format, or OpenMetrics when asked. Reads files with several
        workers: call it off the event loop."""
        encode, media_type = choose_encoder(accept or "")
        if self.multiprocess_dir is None:
            return encode(self.registry), media_type
        forget_dead_processes(self.multiprocess_dir)
        everyone = CollectorRegistry()
        MultiProcessCollector(everyone, path=self.multiprocess_dir)
        return encode(everyone), media_type

    def close(self) -> None:
        """This process stops: its open subscriptions leave the gauge (its counts stay)."""
        if self.multiprocess_dir is not None:
            mark_process_dead(os.getpid(), self.multiprocess_dir)


def forget_dead_processes(folder: str) -> None:
    """Drop the live gauges of worker processes that died without closing their metrics (a
    crashed worker, replaced by the supervisor), so that they no longer count as open."""
    for path in glob.glob(os.path.join(folder, "gauge_live*_*.db")):
        pid = os.path.basename(path).rsplit("_", 1)[-1].removesuffix(".db")
        if pid.isdigit() and not _alive(int(pid)):
            mark_process_dead(int(pid), folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True
