"""Logs: JSON with the request id in production, never a password, token or API key, and an
access log that never echoes what a request carried in its path or query string."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from app.main import create_app
from app.observability import RequestLogMiddleware, configure_logging
from app.redaction import REDACTED, install_redaction
from app.repositories import users as user_repo
from app.settings import load_settings
from tests.api import LOGIN, PASSWORD, REGISTER, Api, unique_email
from tests.conftest import make_settings, running
from tests.rest.helpers import create_code, register, signed_up

if TYPE_CHECKING:
    from collections.abc import Iterator

    from starlette.types import Message, Receive, Scope, Send

HUNTER_KEY = "hunter-api-key-for-the-redaction-test"
METRICS_TOKEN = "metrics-scrape-token-for-the-log-test"
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
    settings = make_settings(backend, hunter_api_key=HUNTER_KEY, metrics_token=METRICS_TOKEN)
    install_redaction(settings.secret_values)
    caplog.set_level(logging.DEBUG)
    secrets = [PASSWORD, HUNTER_KEY, settings.secret_key, METRICS_TOKEN]
    email = unique_email()
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        await api.gql(REGISTER, {"input": {"email": email, "password": PASSWORD}})
        tokens = await api.login(email)
        refreshed = (await api.gql(REFRESH, {"token": tokens["refreshToken"]}))["refreshToken"]
        secrets += [tokens["accessToken"], tokens["refreshToken"], refreshed["refreshToken"]]
        await api.gql(LOGOUT, {"token": refreshed["refreshToken"]}, token=tokens["accessToken"])
        scraped = await api.http.get(
            "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        assert scraped.status_code == 200

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


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "app.access"]


@pytest.mark.usefixtures("logging_restored")
async def test_the_access_line_names_the_route_status_and_request_id_but_not_the_email(
    backend: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(backend)
    configure_logging("INFO", json=True, secrets=settings.secret_values)
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        user, headers = await signed_up(api)
        await create_code(api, headers)
        response = await api.http.get(f"/referrals/code_by_email/{user['email']}")
    assert response.status_code == 200
    logged = capsys.readouterr().err
    entries = [json.loads(line) for line in logged.splitlines()]
    (entry,) = [entry for entry in entries if "code_by_email" in entry["message"]]
    assert entry["logger"] == "app.access"
    assert entry["message"].startswith("GET /referrals/code_by_email/{email} 200 ")
    assert entry["request_id"] == response.headers["x-request-id"]
    assert user["email"] not in logged


async def test_the_access_line_leaves_out_the_query_string(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.access")
    _, headers = await signed_up(api)
    code = (await create_code(api, headers))["code"]
    caplog.clear()
    await register(api, code=code)
    assert [line.rpartition(" ")[0] for line in access_lines(caplog)] == [
        "POST /auth/register/ 200"
    ]
    assert code not in caplog.text


async def test_the_access_line_of_a_path_no_route_matched_does_not_echo_it(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    email = unique_email()
    caplog.set_level(logging.INFO, logger="app.access")
    response = await api.http.get(f"/referrals/code_by_mail/{email}")
    assert response.status_code == 404
    assert [line.rpartition(" ")[0] for line in access_lines(caplog)] == ["GET <unmatched> 404"]
    assert email not in caplog.text


async def test_a_request_that_raises_before_answering_is_logged_as_a_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug")

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent")

    caplog.set_level(logging.INFO, logger="app.access")
    with pytest.raises(RuntimeError):
        await RequestLogMiddleware(broken)(
            {"type": "http", "method": "GET", "headers": []}, receive, send
        )
    assert [line.rpartition(" ")[0] for line in access_lines(caplog)] == ["GET <unmatched> 500"]
