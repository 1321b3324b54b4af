"""Integrations: outbound HTTP to the providers (Hunter's email verifier, Clearbit or Hunter
enrichment), each with its own timeouts, built from the settings. Services call them through
small protocols; they know nothing of requests, sessions or the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.integrations.enrichment import CombinedLookup, Enricher
from app.integrations.hunter import EmailVerifier

if TYPE_CHECKING:
    import httpx

    from app.cache import CacheStore
    from app.settings import Settings

__all__ = ["build_email_verifier", "build_enricher"]


def build_email_verifier(
    settings: Settings, http: httpx.AsyncClient, cache: CacheStore
) -> EmailVerifier | None:
    """Hunter's Email Verifier; None (verification off) without HUNTER_API_KEY."""
    if not settings.hunter_api_key:
        return None
    return EmailVerifier(
        api_key=settings.hunter_api_key,
        base_url=settings.hunter_api_url,
        http=http,
        cache=cache,
        budget=settings.email_check_budget,
        fail_open=settings.email_check_fail_open,
    )


def build_enricher(settings: Settings, http: httpx.AsyncClient) -> Enricher | None:
    """Clearbit when CLEARBIT_API_KEY is set, else Hunter's lookup; None when off.

    ENRICHMENT_ENABLED=false turns both off: with a Hunter key set for verification alone,
    enrichment would otherwise spend Hunter credits nobody asked for.
    """
    if not settings.enrichment_enabled:
        return None
    if settings.clearbit_api_key:
        return CombinedLookup.clearbit(
            api_key=settings.clearbit_api_key, base_url=settings.clearbit_api_url, http=http
        )
    if settings.hunter_api_key:
        return CombinedLookup.hunter(
            api_key=settings.hunter_api_key, base_url=settings.hunter_api_url, http=http
        )
    return None
