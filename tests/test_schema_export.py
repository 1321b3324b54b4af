"""schema/ holds the contracts exactly as the code serves them; export them again on any change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from graphql import (
    build_client_schema,
    build_schema,
    get_introspection_query,
    lexicographic_sort_schema,
    print_schema,
)

from app.contracts import graphql_sdl, openapi_json

if TYPE_CHECKING:
    from tests.api import Api

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"
STALE = "schema/{name} differs from what the code serves: run `python -m app export-schema`"


def exported(name: str) -> str:
    path = SCHEMA_DIR / name
    assert path.exists(), STALE.format(name=name)
    return path.read_text()


async def test_openapi_json_is_what_get_openapi_json_serves(api: Api) -> None:
    served = (await api.http.get("/openapi.json")).json()
    assert json.loads(exported("openapi.json")) == served, STALE.format(name="openapi.json")
    assert exported("openapi.json") == openapi_json(), STALE.format(name="openapi.json")


async def test_schema_graphql_is_what_post_graphql_serves(api: Api) -> None:
    introspection = await api.post_graphql(get_introspection_query(specified_by_url=True))
    served = print_schema(lexicographic_sort_schema(build_client_schema(introspection["data"])))
    in_file = print_schema(lexicographic_sort_schema(build_schema(exported("schema.graphql"))))
    assert in_file == served, STALE.format(name="schema.graphql")
    assert exported("schema.graphql") == graphql_sdl(), STALE.format(name="schema.graphql")
