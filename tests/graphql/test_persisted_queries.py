"""Automatic persisted queries: a known query runs from its hash, on every instance."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tests.instances import serving
from tests.servers import fresh_postgres_database, require_server

if TYPE_CHECKING:
    from pathlib import Path

    from tests.api import Api

QUERY = "query Persisted { __typename }"


def persisted(query: str) -> dict[str, Any]:
    digest = hashlib.sha256(query.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_an_unknown_hash_asks_for_the_query(api: Api) -> None:
    query = f"query Never{uuid.uuid4().hex} {{ __typename }}"
    response = await api.http.post("/graphql", json={"extensions": persisted(query)})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-cache, must-revalidate"
    assert response.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }


async def test_a_query_sent_with_its_hash_runs_from_the_hash_after(api: Api) -> None:
    first = await api.http.post("/graphql", json={"query": QUERY, "extensions": persisted(QUERY)})
    assert first.json() == {"data": {"__typename": "Query"}}
    again = await api.http.post("/graphql", json={"extensions": persisted(QUERY)})
    assert again.json() == {"data": {"__typename": "Query"}}
    over_get = await api.http.get("/graphql", params={"extensions": json.dumps(persisted(QUERY))})
    assert over_get.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "extension",
    [
        {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}},
        {
            "persistedQuery": {
                "version": 2,
                "sha256Hash": hashlib.sha256(QUERY.encode()).hexdigest(),
            }
        },
        {"persistedQuery": {"version": 1, "sha256Hash": "not hex"}},
        {"persistedQuery": "yes"},
    ],
)
async def test_a_hash_that_does_not_fit_the_query_is_bad_input(
    api: Api, extension: dict[str, Any]
) -> None:
    response = await api.http.post("/graphql", json={"query": QUERY, "extensions": extension})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_every_instance_knows_a_query_one_of_them_was_sent(tmp_path: Path) -> None:
    server_url = require_server("PostgreSQL", "TEST_DATABASE_URL")
    redis_url = require_server("Redis", "TEST_REDIS_URL")
    query = f"query Shared{uuid.uuid4().hex} {{ __typename }}"
    async with fresh_postgres_database(server_url) as database_url:
        settings = {"database_url": database_url, "redis_url": redis_url}
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        async with (
            serving(tmp_path / "a", **settings) as first,
            serving(tmp_path / "b", **settings) as second,
            first.client() as one,
            second.client() as other,
        ):
            body = {"query": query, "extensions": persisted(query)}
            assert (await one.post("/graphql", json=body)).json() == {
                "data": {"__typename": "Query"}
            }
            known = await other.post("/graphql", json={"extensions": persisted(query)})
            assert known.json() == {"data": {"__typename": "Query"}}
