"""Logs: JSON with the request id in production, and never a password, token or API key."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from app.main import create_app
from app.observability import configure_logging
from app.redaction import REDACTED, install_redaction
from app.repositories import users as user_repo
from app.settings import load_settings
from tests.api import LOGIN, PASSWORD, REGISTER, Api, unique_email
from tests.conftest import make_settings, running

if TYPE_CHECKING:
    from collections.abc import Iterator

HUNTER_KEY = "hunter-api-key-for-the-redaction-test"
REFRESH = "mutation R($token: String!) { refreshToken(refreshToken: $token) { refreshToken } }"
LOGOUT = "mutation L($token: String) { logout(refreshToken: $token) }"


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """Put the root logger and the record factory back as they were."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    factory = logging.getLogRecordFactory()
    yield
    root.handlers, root.level = handlers, level
    logging.setLogRecordFactory(factory)


def test_production_logs_json_by_default() -> None:
    strong = "q7V-2mZ_kP9xR4tL8wB1nC6yH3jF5dS0aE"
    assert load_settings(_env_file=None, app_env="production", secret_key=strong).json_logs
    assert not load_settings(_env_file=None).json_logs
    assert not load_settings(_env_file=None, log_format="text", app_env="test").json_logs


@pytest.mark.usefixtures("logging_restored")
async def test_json_logs_carry_the_request_id_of_the_response(
    backend: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(backend)
    configure_logging("INFO", json=True, secrets=settings.secret_values)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database said no")

    monkeypatch.setattr(user_repo, "get_by_email", broken)
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        response = await api.http.post(
            "/graphql",
            json={
                "query": LOGIN,
                "variables": {"input": {"email": unique_email(), "password": PASSWORD}},
            },
        )
    request_id = response.headers["x-request-id"]
    entries = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    (entry,) = [entry for entry in entries if entry["level"] == "ERROR"]
    assert entry["request_id"] == request_id
    assert entry["logger"] == "app.graphql.errors"
    assert "RuntimeError: the database said no" in entry["exception"]


@pytest.mark.usefixtures("logging_restored")
async def test_no_password_token_or_api_key_reaches_the_logs(
    backend: dict[str, Any], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(backend, hunter_api_key=HUNTER_KEY)
    install_redaction(settings.secret_values)
    caplog.set_level(logging.DEBUG)
    secrets = [PASSWORD, HUNTER_KEY, settings.secret_key]
    email = unique_email()
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        await api.gql(REGISTER, {"input": {"email": email, "password": PASSWORD}})
        tokens = await api.login(email)
        refreshed = (await api.gql(REFRESH, {"token": tokens["refreshToken"]}))["refreshToken"]
        secrets += [tokens["accessToken"], tokens["refreshToken"], refreshed["refreshToken"]]
        await api.gql(LOGOUT, {"token": refreshed["refreshToken"]}, token=tokens["accessToken"])

        leaked = {"password": PASSWORD, "refresh_token": refreshed["refreshToken"]}
        bearer = f"Authorization: Bearer {tokens['accessToken']}"

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError(f"cannot save {leaked!r} with {bearer}")

        monkeypatch.setattr(user_repo, "add", broken)
        body = await api.post_graphql(
            REGISTER, {"input": {"email": unique_email(), "password": PASSWORD}}
        )
        assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        logging.getLogger("tests").warning("settings: %r", settings.model_dump())
        logging.getLogger("httpx").info(
            "HTTP Request: GET https://api.hunter.io/v2/email-verifier?email=%s&api_key=%s",
            email,
            HUNTER_KEY,
        )

    logged = caplog.text + "".join(
        record.getMessage() + (record.exc_text or "") for record in caplog.records
    )
    assert "RuntimeError: cannot save" in logged
    assert REDACTED in logged
    for secret in secrets:
        assert secret not in logged
