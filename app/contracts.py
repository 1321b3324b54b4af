"""The public contracts as text, exactly as the code serves them (for export and drift tests)."""

from __future__ import annotations

import json

from app.graphql.schema import build_schema


def graphql_sdl() -> str:
    return build_schema().as_str() + "\n"


def openapi_json() -> str:
    from app.rest.openapi import openapi_document

    return json.dumps(openapi_document(), indent=2, sort_keys=False) + "\n"
