"""Production guards: a strong SECRET_KEY, exact CORS origins, a bounded request body."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from app.main import create_app
from app.settings import load_settings
from tests.api import PASSWORD, Api, unique_email
from tests.conftest import make_settings, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

STRONG_KEY = "q7V-2mZ_kP9xR4tL8wB1nC6yH3jF5dS0aE"


def serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m app serve` in an empty folder (no .env) with only these variables set."""
    base = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    base |= {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/referrals.db", "PORT": "9"}
    return subprocess.run(
        [sys.executable, "-m", "app", "serve"],
        cwd=tmp_path,
        env=base | {"PYTHONPATH": os.getcwd()} | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("secret_key", "complaint"),
    [
        (None, "SECRET_KEY is required"),
        ("too-short-for-hs256", "SECRET_KEY must be at least 32 bytes"),
        ("changeme" * 4, "SECRET_KEY looks like a placeholder"),
    ],
)
def test_production_refuses_to_serve_without_a_strong_secret_key(
    tmp_path: Path, secret_key: str | None, complaint: str
) -> None:
    env = {"APP_ENV": "production"} | ({"SECRET_KEY": secret_key} if secret_key else {})
    finished = serve(tmp_path, **env)
    assert finished.returncode == 2
    assert complaint in finished.stderr
    assert not (tmp_path / "referrals.db").exists()  # refused before migrating anything


def test_a_strong_secret_key_is_accepted_in_production() -> None:
    settings = load_settings(_env_file=None, app_env="production", secret_key=STRONG_KEY)
    assert settings.signing_key == STRONG_KEY


def test_cors_origins_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://app.example.com, http://localhost:3000/")
    settings = load_settings(_env_file=None)
    assert settings.cors_origins == ["https://app.example.com", "http://localhost:3000"]


@pytest.mark.parametrize("origins", ["*", "https://*.example.com", '["*"]', "app.example.com"])
def test_cors_origins_must_be_exact(monkeypatch: pytest.MonkeyPatch, origins: str) -> None:
    monkeypatch.setenv("CORS_ORIGINS", origins)
    with pytest.raises(ValidationError, match="CORS_ORIGINS lists origins like"):
        load_settings(_env_file=None)


def test_a_wildcard_cors_origin_stops_the_server(tmp_path: Path) -> None:
    finished = serve(tmp_path, CORS_ORIGINS="*")
    assert finished.returncode == 2
    assert "CORS_ORIGINS" in finished.stderr


ALLOWED_ORIGIN = "https://app.example.com"


@pytest.fixture
async def guarded_api(backend: dict[str, Any]) -> AsyncIterator[Api]:
    settings = make_settings(backend, cors_origins=[ALLOWED_ORIGIN], max_body_bytes=4096)
    async with running(create_app(settings)) as app, Api.connect(app) as client:
        yield client


async def preflight(api: Api, origin: str) -> dict[str, str]:
    response = await api.http.options(
        "/graphql",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    return dict(response.headers)


async def test_a_configured_origin_may_call_with_credentials(guarded_api: Api) -> None:
    headers = await preflight(guarded_api, ALLOWED_ORIGIN)
    assert headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert headers["access-control-allow-credentials"] == "true"


async def test_any_other_origin_is_not_allowed(guarded_api: Api) -> None:
    headers = await preflight(guarded_api, "https://evil.example.net")
    assert "access-control-allow-origin" not in headers
    response = await guarded_api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example.net"}
    )
    assert "access-control-allow-origin" not in response.headers


async def test_a_body_within_the_limit_is_served(guarded_api: Api) -> None:
    query = "{ __typename }" + " " * 3000
    assert await guarded_api.gql(query) == {"__typename": "Query"}


async def test_a_declared_body_over_the_limit_is_refused(guarded_api: Api) -> None:
    response = await guarded_api.http.post(
        "/graphql", json={"query": "{ __typename }" + " " * 5000}
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 4096 bytes."}
    assert response.headers["x-request-id"]


async def test_a_streamed_body_over_the_limit_is_refused(guarded_api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }'
        for _ in range(10):
            yield b" " * 1000

    response = await guarded_api.http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_the_default_body_limit_is_64_kib() -> None:
    assert load_settings(_env_file=None).max_body_bytes == 64 * 1024


async def test_the_body_limit_setting_applies_to_the_rest_shim_too(guarded_api: Api) -> None:
    declared = await guarded_api.http.post(
        "/auth/register/", json={"email": "a@example.com", "password": "x" * 5000}
    )
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "a@example.com", "password": "'
        for _ in range(10):
            yield b"x" * 1000

    streamed = await guarded_api.http.post(
        "/auth/register/", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert streamed.json() == {"detail": "The request body is larger than 4096 bytes."}


@pytest.mark.parametrize(
    ("app_env", "secure_setting", "secure"),
    [
        ("production", None, True),
        ("production", False, False),
        ("development", None, False),
        ("development", True, True),
    ],
)
async def test_the_auth_cookie_is_secure_in_production_unless_turned_off(
    backend: dict[str, Any], app_env: str, secure_setting: bool | None, secure: bool
) -> None:
    settings = make_settings(
        backend, app_env=app_env, secret_key=STRONG_KEY, auth_cookie_secure=secure_setting
    )
    async with running(create_app(settings)) as app, Api.connect(app) as client:
        email = unique_email()
        await client.http.post("/auth/register/", json={"email": email, "password": PASSWORD})
        login = await client.http.post(
            "/auth/login", data={"username": email, "password": PASSWORD}
        )
        assert login.status_code == 204, login.text
        token = login.cookies["fastapiusersauth"]
        logout = await client.http.post(
            "/auth/logout", headers={"Authorization": f"Bearer {token}"}
        )
        assert logout.status_code == 204, logout.text
    for response in (login, logout):
        attributes = [part.strip() for part in response.headers["set-cookie"].split(";")]
        assert ("Secure" in attributes) is secure


@pytest.mark.parametrize(("value", "secure"), [("false", False), ("true", True), ("", True)])
def test_auth_cookie_secure_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, secure: bool
) -> None:
    if value:
        monkeypatch.setenv("AUTH_COOKIE_SECURE", value)
    else:
        monkeypatch.delenv("AUTH_COOKIE_SECURE", raising=False)
    settings = load_settings(_env_file=None, app_env="production", secret_key=STRONG_KEY)
    assert settings.cookie_secure is secure
