"""Settings: embedded defaults, production guards, and the development signing key."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from app.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path


def test_the_embedded_defaults_need_no_configuration() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite+aiosqlite:///./referrals.db"
    assert settings.redis_url is None
    assert settings.graphiql_enabled
    assert settings.introspection_enabled


def test_a_plain_postgres_url_gets_the_async_driver() -> None:
    settings = Settings(database_url="postgresql://u@db:5432/app", _env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+asyncpg://u@db:5432/app"


@pytest.mark.parametrize("secret", [None, "too-short"])
def test_production_refuses_a_missing_or_weak_secret_key(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(app_env="production", secret_key=secret, _env_file=None)  # type: ignore[call-arg]


def test_production_turns_graphiql_and_introspection_off_unless_asked() -> None:
    strong = "q7V-2mZ_kP9xR4tL8wB1nC6yH3jF5dS0aE"  # random-looking: a repeated letter is refused
    off = Settings(app_env="production", secret_key=strong, _env_file=None)  # type: ignore[call-arg]
    assert not off.graphiql_enabled
    assert not off.introspection_enabled
    on = Settings(
        app_env="production", secret_key=strong, graphiql=True, introspection=True, _env_file=None
    )  # type: ignore[call-arg]
    assert on.graphiql_enabled
    assert on.introspection_enabled


def test_the_development_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path, _env_file=None).signing_key  # type: ignore[call-arg]
    second = Settings(data_dir=tmp_path, _env_file=None).signing_key  # type: ignore[call-arg]
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / ".secret_key").stat().st_mode & 0o077 == 0


def test_serve_in_production_without_a_secret_names_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve"],
        env={"APP_ENV": "production", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
