"""Person enrichment behind one small interface.

Two providers speak the same format: Clearbit's combined lookup, and Hunter's copy of it
(`clearbit_format=true`), which replaced Clearbit's free platform when that closed in 2025.
"""

from __future__ import annotations

import logging
from dataclasses import astuple, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from app.domain.profiles import TEXT_LIMIT, URL_LIMIT, ProfileData

if TYPE_CHECKING:
    from collections.abc import Mapping

logger = logging.getLogger(__name__)

LOOKUP_TIMEOUT = 10.0
# Hunter answers 403 as well as 429 when a key is over its rate limit.
TRANSIENT_STATUSES = frozenset({403, 408, 425, 429})


class LookupStatus(StrEnum):
    """How a lookup ended; PENDING and RETRY are worth asking again."""

    FOUND = "found"
    PENDING = "pending"  # 202: the provider queued the lookup; ask again later
    NOT_FOUND = "not_found"
    RETRY = "retry"  # a transient failure: network, timeout, rate limit, 5xx
    FAILED = "failed"  # asking again will not help: bad key, bad request


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The answer of a lookup; `retry_after` is the provider's hint in seconds, if any."""

    status: LookupStatus
    profile: ProfileData | None = None
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        """True when asking again later may give an answer."""
        return self.status in (LookupStatus.PENDING, LookupStatus.RETRY)


class Enricher(Protocol):
    """Looks a person up by email address."""

    async def lookup(self, email: str) -> LookupResult:
        """Find what the provider knows; transient failures come back as RETRY."""
        ...


class CombinedLookup:
    """An Enricher over a person-and-company endpoint that answers in Clearbit's format."""

    def __init__(
        self,
        *,
        provider: str,
        url: str,
        http: httpx.AsyncClient,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
    ) -> None:
        self.provider = provider
        self._url = url
        self._http = http
        self._headers = dict(headers)
        self._params = dict(params or {})

    @classmethod
    def clearbit(cls, *, api_key: str, base_url: str, http: httpx.AsyncClient) -> CombinedLookup:
        """Clearbit's `GET /v2/combined/find`, the key as a bearer token."""
        return cls(
            provider="clearbit",
            url=f"{base_url.rstrip('/')}/v2/combined/find",
            http=http,
            headers={"Authorization": f"Bearer {api_key}"},
        )

    @classmethod
    def hunter(cls, *, api_key: str, base_url: str, http: httpx.AsyncClient) -> CombinedLookup:
        """Hunter's `GET /combined/find` in Clearbit's format, the key in X-API-KEY."""
        return cls(
            provider="hunter",
            url=f"{base_url.rstrip('/')}/combined/find",
            http=http,
            headers={"X-API-KEY": api_key},
            params={"clearbit_format": "true"},
        )

    async def lookup(self, email: str) -> LookupResult:
        """Find what the provider knows about `email`; never raises for HTTP failures."""
        try:
            response = await self._http.get(
                self._url,
                params={**self._params, "email": email},
                headers=self._headers,
                timeout=LOOKUP_TIMEOUT,
            )
        except httpx.HTTPError as exc:
            logger.warning("%s lookup failed: %s", self.provider, type(exc).__name__)
            return LookupResult(LookupStatus.RETRY)
        return self._result(response)

    def _result(self, response: httpx.Response) -> LookupResult:
        status = response.status_code
        if status == httpx.codes.OK:
            return _found(response)
        if status == httpx.codes.ACCEPTED:
            return LookupResult(LookupStatus.PENDING, retry_after=_retry_after(response))
        if status == httpx.codes.NOT_FOUND:
            return LookupResult(LookupStatus.NOT_FOUND)
        if status in TRANSIENT_STATUSES or status >= httpx.codes.INTERNAL_SERVER_ERROR:
            logger.info("%s lookup deferred: HTTP %s", self.provider, status)
            return LookupResult(LookupStatus.RETRY, retry_after=_retry_after(response))
        logger.warning("%s lookup refused: HTTP %s", self.provider, status)
        return LookupResult(LookupStatus.FAILED)


def _found(response: httpx.Response) -> LookupResult:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        # A 200 that is not JSON is a proxy or provider hiccup, not an answer.
        return LookupResult(LookupStatus.RETRY)
    profile = parse_combined(body)
    if profile is None:
        return LookupResult(LookupStatus.NOT_FOUND)
    return LookupResult(LookupStatus.FOUND, profile=profile)


def parse_combined(body: Mapping[str, Any]) -> ProfileData | None:
    """Read `{"person": {...}, "company": {...}}`; None when it holds nothing we keep."""
    if "person" not in body and "company" not in body:
        # Hunter's own format wraps the same objects in `data`.
        body = _object(body.get("data"))
    person = _object(body.get("person"))
    company = _object(body.get("company"))
    name = _object(person.get("name"))
    employment = _object(person.get("employment"))
    profile = ProfileData(
        full_name=_text(name.get("fullName")),
        given_name=_text(name.get("givenName")),
        family_name=_text(name.get("familyName")),
        location=_text(person.get("location")),
        company=_text(employment.get("name")) or _text(company.get("name")),
        company_domain=_text(employment.get("domain")) or _text(company.get("domain")),
        title=_text(employment.get("title")),
        avatar_url=_web_url(person.get("avatar")),
    )
    return profile if any(astuple(profile)) else None


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:TEXT_LIMIT]


def _web_url(value: Any) -> str | None:
    """An http(s) URL that fits its column; anything else (javascript:, data:) is dropped."""
    if not isinstance(value, str) or len(value) > URL_LIMIT:
        return None
    return value if value.startswith(("https://", "http://")) else None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
