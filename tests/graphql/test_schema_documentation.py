"""The exported schema documents itself: front ends read it in GraphiQL and generated types."""

from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLScalarType, build_schema

from app.contracts import graphql_sdl
from app.errors import ErrorCode

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def undocumented(sdl: str) -> list[str]:
    schema = build_schema(sdl)
    missing = []
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not kind.description:
            missing.append(name)
        for field_name, field in (getattr(kind, "fields", None) or {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
            for argument, value in (getattr(field, "args", None) or {}).items():
                if not value.description:
                    missing.append(f"{name}.{field_name}({argument})")
        for value_name, value in (getattr(kind, "values", None) or {}).items():
            if not value.description:
                missing.append(f"{name}.{value_name}")
    return missing


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    assert undocumented(graphql_sdl()) == []


def test_every_error_code_is_listed_in_the_schema() -> None:
    error_code = build_schema(graphql_sdl()).type_map["ErrorCode"]
    assert isinstance(error_code, GraphQLEnumType)
    assert {str(code) for code in ErrorCode} <= set(error_code.values)


def test_date_time_says_its_format() -> None:
    date_time = build_schema(graphql_sdl()).type_map["DateTime"]
    assert isinstance(date_time, GraphQLScalarType)
    assert date_time.specified_by_url == "https://scalars.graphql.org/andimarek/date-time"
    assert "ISO 8601" in (date_time.description or "")
