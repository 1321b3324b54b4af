"""Hunter's Email Verifier: is an address deliverable, decided within a bounded time budget."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import orjson

if TYPE_CHECKING:
    from app.cache import CacheStore

logger = logging.getLogger(__name__)

UNVERIFIED = "unverified"
VERDICT_TTL = 86_400
FIRST_POLL_DELAY = 0.25
MAX_POLL_DELAY = 1.0

ACCEPTED_STATUSES = frozenset({"valid", "webmail", "accept_all", "unknown"})
REJECTED_STATUSES = frozenset({"invalid", "disposable"})
# Answers that lack `status` still carry the deprecated `result`.
_STATUS_FROM_RESULT = {"deliverable": "valid", "undeliverable": "invalid", "risky": "unknown"}


@dataclass(frozen=True, slots=True)
class EmailCheck:
    """The verifier's conclusion: `outcome` is recorded on the user, `accepted` admits them."""

    outcome: str
    accepted: bool


def verdict_key(email: str) -> str:
    """The cache key of the verdict for a lower-cased address."""
    return f"hunter:verdict:{email}"


class EmailVerifier:
    """Checks addresses with Hunter's Email Verifier and remembers verdicts for a day."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        http: httpx.AsyncClient,
        cache: CacheStore,
        budget: float,
        fail_open: bool,
        poll_delay: float = FIRST_POLL_DELAY,
    ) -> None:
        self._api_key = api_key
        self._url = f"{base_url.rstrip('/')}/email-verifier"
        self._http = http
        self._cache = cache
        self._budget = budget
        self._fail_open = fail_open
        self._poll_delay = poll_delay

    async def check(self, email: str) -> EmailCheck:
        """The verdict on `email`; never raises and answers within the budget."""
        address = email.strip().lower()
        try:
            async with asyncio.timeout(self._budget):
                cached = await self._cached(address)
                if cached is not None:
                    return cached
                response = await self._poll(address)
        except TimeoutError:
            return self._unverified("no verdict within the time budget")
        except httpx.HTTPError as exc:
            return self._unverified(f"transport error {type(exc).__name__}")
        return await self._interpret(address, response)

    async def _poll(self, address: str) -> httpx.Response:
        """Repeat the call while Hunter answers 202 (still checking), backing off a little."""
        delay = self._poll_delay
        while True:
            # The key travels in a header so that it never appears in a logged URL; the
            # budget, not the shared client's default timeout, bounds each call.
            response = await self._http.get(
                self._url,
                params={"email": address},
                headers={"X-API-KEY": self._api_key},
                timeout=self._budget,
            )
            if response.status_code != httpx.codes.ACCEPTED:
                return response
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_POLL_DELAY)

    async def _interpret(self, address: str, response: httpx.Response) -> EmailCheck:
        if response.status_code == httpx.codes.OK:
            verdict = _verdict(_json(response))
            if verdict is None:
                return self._unverified("unreadable answer")
            payload = {"outcome": verdict.outcome, "accepted": verdict.accepted}
            await self._cache.set(
                verdict_key(address), orjson.dumps(payload).decode(), ttl=VERDICT_TTL
            )
            return verdict
        if response.status_code == httpx.codes.UNAVAILABLE_FOR_LEGAL_REASONS:
            # The person asked Hunter not to process their address: the verifier did not
            # fail, and exercising that right must not cost them the account.
            logger.info("email check declined by the verifier (HTTP 451); admitting")
            return EmailCheck(outcome=UNVERIFIED, accepted=True)
        error_id = _error_id(response)
        detail = f" {error_id!r}" if error_id else ""
        return self._unverified(f"HTTP {response.status_code}{detail}")

    async def _cached(self, address: str) -> EmailCheck | None:
        raw = await self._cache.get(verdict_key(address))
        if raw is None:
            return None
        try:
            entry = orjson.loads(raw)
            return EmailCheck(outcome=str(entry["outcome"]), accepted=bool(entry["accepted"]))
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return None

    def _unverified(self, reason: str) -> EmailCheck:
        decision = "admitting" if self._fail_open else "rejecting"
        logger.warning("email check unverified (%s); %s", reason, decision)
        return EmailCheck(outcome=UNVERIFIED, accepted=self._fail_open)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _verdict(body: Any) -> EmailCheck | None:
    """Map `data.status` (or the older `data.result`) to a verdict; None if there is none."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return None
    status, result = data.get("status"), data.get("result")
    if status in ACCEPTED_STATUSES or status in REJECTED_STATUSES:
        outcome = status
    elif result in _STATUS_FROM_RESULT:
        outcome = _STATUS_FROM_RESULT[result]
    else:
        return None
    accepted = outcome not in REJECTED_STATUSES and result != "undeliverable"
    return EmailCheck(outcome=outcome, accepted=accepted)


def _error_id(response: httpx.Response) -> str | None:
    """The `errors[0].id` of an error body, cut short: it is logged."""
    body = _json(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("id", ""))[:40] or None
    return None
