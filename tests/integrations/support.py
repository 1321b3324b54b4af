"""Helpers shared by the integration tests."""

from __future__ import annotations

from typing import Any

from app.settings import Settings, load_settings


def isolated_settings(**overrides: Any) -> Settings:
    """Settings from these values alone: no .env file, and no provider key from the environment."""
    values: dict[str, Any] = {
        "_env_file": None,
        "app_env": "test",
        "hunter_api_key": None,
        "clearbit_api_key": None,
        "enrichment_enabled": True,
    }
    return load_settings(**(values | overrides))
