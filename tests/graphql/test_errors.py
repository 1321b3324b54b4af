"""What a client sees when something goes wrong: contract codes, never internals."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from app.main import create_app
from app.services.codes import Codes
from tests.api import CODE_BY_EMAIL, Api, unique_email
from tests.conftest import make_settings, running
from tests.test_health import free_port

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


async def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(Codes, "active_by_email", broken)
    with caplog.at_level(logging.ERROR):
        response = await api.http.post(
            "/graphql",
            json={"query": CODE_BY_EMAIL, "variables": {"email": "a@example.com"}},
            headers={"X-Request-ID": "trace-me-42"},
        )
    body = response.json()
    assert response.headers["x-request-id"] == "trace-me-42"
    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "SELECT" not in response.text
    assert "Traceback" not in response.text
    logged = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert logged
    assert logged[0].exc_info is not None


async def test_a_syntax_error_is_the_clients_own_before_anything_runs(api: Api) -> None:
    body = await api.post_graphql("{ codeByEmail(email: ")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_an_unknown_field_fails_validation(api: Api) -> None:
    body = await api.post_graphql('{ codeByMail(email: "a@example.com") { code } }')
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_wrongly_typed_variable_is_bad_input(api: Api) -> None:
    body = await api.post_graphql(
        "query Q($id: ID!, $first: Int!) { referralsById(id: $id, first: $first) { totalCount } }",
        {"id": "1", "first": "many"},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_malformed_datetime_is_bad_input(api: Api) -> None:
    _, token = await api.signed_up()
    body = await api.post_graphql(
        "mutation C($input: CreateCodeInput!) { createCode(input: $input) { code } }",
        {"input": {"expiresAt": "next tuesday"}},
        token=token,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_every_response_carries_a_request_id(api: Api) -> None:
    response = await api.http.get("/health/live")
    assert len(response.headers["x-request-id"]) >= 16


async def test_an_unsafe_request_id_is_replaced(api: Api) -> None:
    response = await api.http.get("/health/live", headers={"X-Request-ID": "bad id\twith tab"})
    assert response.headers["x-request-id"] != "bad id\twith tab"


async def test_an_unreachable_database_is_service_unavailable_fast(
    backend: dict[str, Any], tmp_path: Path
) -> None:
    unreachable = (
        f"sqlite+aiosqlite:///{tmp_path}/missing/folder/referrals.db"
        if backend["name"] == "embedded"
        else f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none"
    )
    settings = make_settings(backend, database_url=unreachable, db_timeout=1.0)
    async with running(create_app(settings)) as app, Api.connect(app) as api:
        started = time.perf_counter()
        body = await api.post_graphql(CODE_BY_EMAIL, {"email": unique_email()})
        elapsed = time.perf_counter() - started
    assert body["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    assert "sqlite" not in body["errors"][0]["message"].lower()
    assert elapsed < 3.0
