"""The OpenAPI 3.1 document of the REST shim, built from the operation table and its models."""

from __future__ import annotations

from http import HTTPStatus
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from pydantic.json_schema import models_json_schema

from app.rest.models import ErrorRead, ValidationErrorRead
from app.rest.operation import FORM_MEDIA_TYPES, JSON_MEDIA_TYPES
from app.rest.table import OPERATIONS
from app.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pydantic import BaseModel
    from pydantic.json_schema import JsonSchemaMode

    from app.rest.operation import Operation

    Refs = dict[type[Any], dict[str, Any]]

REF_TEMPLATE = "#/components/schemas/{model}"
# Any operation may be rate limited, and any needs the database.
COMMON_ERRORS = (429, 503)
SECURITY: list[dict[str, list[str]]] = [{"OAuth2PasswordBearer": []}, {"APIKeyCookie": []}]
HEADERS = {
    401: {"WWW-Authenticate": "`Bearer`: send a valid access token."},
    429: {"Retry-After": "Seconds to wait before trying again."},
    503: {"Retry-After": "Seconds to wait before trying again."},
}
TAGS = [
    {"name": "auth", "description": "Registration and sign-in (cookie, or OAuth2 bearer tokens)."},
    {"name": "referrals", "description": "Referral codes and who joined with them."},
]
DESCRIPTION = (
    "The REST shim of the referral service, wire-compatible with the FastAPI service it replaces. "
    'The full API is GraphQL, at `/graphql`. Errors answer `{"detail": ...}`.'
)


def openapi_document(settings: Settings | None = None) -> dict[str, Any]:
    """The document as GET /openapi.json serves it for these settings (the defaults if none)."""
    cookie_name = (
        settings.auth_cookie_name
        if settings is not None
        else Settings.model_fields["auth_cookie_name"].default
    )
    keyed_refs, definitions = models_json_schema(_models(), ref_template=REF_TEMPLATE)
    refs: Refs = {model: ref for (model, _), ref in keyed_refs.items()}
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.template, {})[operation.method.lower()] = _operation(
            operation, refs
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Referral service",
            "version": version("referrals"),
            "description": DESCRIPTION,
        },
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": _forms_without_null(definitions["$defs"]),
            "securitySchemes": {
                "OAuth2PasswordBearer": {
                    "type": "oauth2",
                    "flows": {"password": {"tokenUrl": "/auth/token", "scopes": {}}},
                },
                "APIKeyCookie": {"type": "apiKey", "in": "cookie", "name": cookie_name},
            },
        },
    }


def _forms_without_null(schemas: dict[str, Any]) -> dict[str, Any]:
    """Form fields are strings or absent: a null branch would only clutter the docs' forms."""
    for operation in OPERATIONS:
        if operation.body is not None and operation.body_format == "form":
            form = schemas[operation.body.__name__]
            form["properties"] = {
                name: _without_null(field) for name, field in form["properties"].items()
            }
    return schemas


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (ErrorRead, "serialization"),
        (ValidationErrorRead, "serialization"),
    ]
    for operation in OPERATIONS:
        if operation.body is not None:
            models.append((operation.body, "validation"))
        if operation.response is not None:
            models.append((operation.response, "serialization"))
    return list(dict.fromkeys(models))


def _operation(operation: Operation, refs: Refs) -> dict[str, Any]:
    document: dict[str, Any] = {
        "tags": [operation.tag],
        "summary": operation.summary,
        "operationId": operation.handler.__name__,
    }
    parameters = [
        *_parameters(operation.path_params, "path"),
        *_parameters(operation.query, "query"),
    ]
    if parameters:
        document["parameters"] = parameters
    if operation.body is not None:
        media = JSON_MEDIA_TYPES if operation.body_format == "json" else FORM_MEDIA_TYPES
        document["requestBody"] = {
            "required": True,
            "content": {media_type: {"schema": refs[operation.body]} for media_type in media},
        }
    document["responses"] = _responses(operation, refs)
    if operation.secured:
        document["security"] = SECURITY
    return document


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict[str, Any]]:
    """Each field of a flat path or query model as a parameter; null is absence there."""
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", []))
    parameters = []
    for name, field_schema in schema["properties"].items():
        field_schema = _without_null(field_schema)
        description = field_schema.pop("description", None)
        field_schema.pop("title", None)
        parameter = {
            "name": name,
            "in": where,
            "required": name in required,
            "schema": field_schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    options = [option for option in schema.pop("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1:
        schema = options[0] | schema
    elif options:
        schema["anyOf"] = options
    if schema.get("default", ...) is None:
        del schema["default"]
    return schema


def _responses(operation: Operation, refs: Refs) -> dict[str, Any]:
    success: dict[str, Any] = {"description": HTTPStatus(operation.status).phrase}
    if operation.response is not None:
        success["content"] = {"application/json": {"schema": refs[operation.response]}}
    if operation.headers:
        success["headers"] = _headers(operation.headers)
    responses: dict[str, Any] = {str(operation.status): success}
    statuses = set(operation.errors) | set(COMMON_ERRORS)
    if operation.path_params or operation.query or operation.body:
        statuses.add(422)
    if operation.body:
        statuses.add(415)  # a body not declared as one of its media types
    for status in sorted(statuses):
        schema = refs[ValidationErrorRead if status == 422 else ErrorRead]
        response: dict[str, Any] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"schema": schema}},
        }
        if status in HEADERS:
            response["headers"] = _headers(HEADERS[status])
        responses[str(status)] = response
    return responses


def _headers(descriptions: Mapping[str, str]) -> dict[str, Any]:
    return {
        name: {"description": text, "schema": {"type": "string"}}
        for name, text in descriptions.items()
    }
