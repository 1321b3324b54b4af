"""GET /metrics: Prometheus' text format, open in development, behind a token in production."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from app.main import create_app
from app.settings import load_settings
from tests.api import Api
from tests.conftest import make_settings, running
from tests.metrics import scrape

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

METRICS_TOKEN = "scrape-me-with-this-token-0123456789"
FAMILIES = [
    "referrals_request_duration_seconds",
    "referrals_errors_total",
    "referrals_code_cache_lookups_total",
    "referrals_rate_limit_refusals_total",
    "referrals_webhook_deliveries_total",
    "referrals_webhook_delivery_lag_seconds",
    "referrals_subscriptions_open",
]


@pytest.fixture
async def production(backend: dict[str, Any]) -> AsyncIterator[Api]:
    """An app with APP_ENV=production and METRICS_TOKEN set."""
    settings = make_settings(backend, app_env="production", metrics_token=METRICS_TOKEN)
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        yield api


async def test_every_metric_is_described_in_the_text_format(api: Api) -> None:
    scraped = await scrape(api.http)
    for family in FAMILIES:
        assert f"# HELP {family} " in scraped.text
        assert f"# TYPE {family} " in scraped.text
    assert scraped.value("referrals_subscriptions_open") == 0


async def test_a_scraper_that_asks_for_openmetrics_gets_it(api: Api) -> None:
    response = await api.http.get("/metrics", headers={"accept": "application/openmetrics-text"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


async def test_production_serves_metrics_only_with_the_bearer_token(production: Api) -> None:
    wrong_tokens = [
        {},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": f"Bearer {METRICS_TOKEN}x"},
        {"Authorization": f"Basic {METRICS_TOKEN}"},
        {"Authorization": METRICS_TOKEN},
    ]
    for headers in wrong_tokens:
        response = await production.http.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "referrals_" not in response.text
    scraped = await scrape(production.http, token=METRICS_TOKEN)
    assert "# TYPE referrals_errors_total counter" in scraped.text


async def test_production_without_a_metrics_token_has_no_metrics_page(
    backend: dict[str, Any],
) -> None:
    settings = make_settings(backend, app_env="production")
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        response = await api.http.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


async def test_a_metrics_token_is_required_wherever_it_is_set(backend: dict[str, Any]) -> None:
    settings = make_settings(backend, app_env="development", metrics_token=METRICS_TOKEN)
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        assert (await api.http.get("/metrics")).status_code == 401
        await scrape(api.http, token=METRICS_TOKEN)


def test_the_metrics_token_is_a_secret_kept_out_of_logs() -> None:
    settings = load_settings(_env_file=None, metrics_token=METRICS_TOKEN)
    assert METRICS_TOKEN not in repr(settings)
    assert METRICS_TOKEN in settings.secret_values  # what app.redaction takes out of every log


def test_an_empty_metrics_token_means_none() -> None:
    assert load_settings(_env_file=None, metrics_token="  ").metrics_token is None


def test_production_refuses_a_short_metrics_token() -> None:
    strong = "q7V-2mZ_kP9xR4tL8wB1nC6yH3jF5dS0aE"
    with pytest.raises(ValidationError, match="METRICS_TOKEN must be at least 16 characters"):
        load_settings(
            _env_file=None, app_env="production", secret_key=strong, metrics_token="too-short"
        )
