"""Which database errors mean "unavailable" (SERVICE_UNAVAILABLE) rather than a bug."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.db import is_unavailable


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "sqlstate",
    ["57P03", "57P01", "08006", "53300"],  # starting up, shutting down, connection lost, full
)
def test_a_server_that_cannot_serve_now_is_unavailable(sqlstate: str) -> None:
    assert is_unavailable(DBAPIError("SELECT 1", {}, DriverError(sqlstate)))


@pytest.mark.parametrize("sqlstate", ["23505", "22003", "42P01"])  # unique, range, no table
def test_a_query_the_server_refuses_is_not_unavailable(sqlstate: str) -> None:
    assert not is_unavailable(DBAPIError("SELECT 1", {}, DriverError(sqlstate)))
    assert not is_unavailable(IntegrityError("INSERT", {}, DriverError(sqlstate)))
