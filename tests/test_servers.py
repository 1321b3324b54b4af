"""require_server skips a test without its server, except where CI demands every server."""

from __future__ import annotations

import pytest

from tests.servers import require_server

VARIABLE = "TEST_SOME_SERVER_URL"


def test_a_configured_server_url_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, "redis://127.0.0.1:6379/0")

    assert require_server("Redis", VARIABLE) == "redis://127.0.0.1:6379/0"


def test_a_missing_server_skips_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    monkeypatch.delenv("REQUIRE_SERVERS", raising=False)

    with pytest.raises(pytest.skip.Exception, match=VARIABLE):
        require_server("Redis", VARIABLE)


def test_a_missing_server_fails_the_test_when_servers_are_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    monkeypatch.setenv("REQUIRE_SERVERS", "1")

    with pytest.raises(pytest.fail.Exception, match=VARIABLE):
        require_server("Redis", VARIABLE)
