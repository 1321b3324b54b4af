"""GraphQL over HTTP: which media type a client gets, and with which status.

A client that accepts `application/graphql-response+json` (the GraphQL-over-HTTP specification)
gets it: a request that never ran (unparsable, invalid, variables not coerced, not
authenticated) answers a 4xx with no `data` entry. Anyone else gets `application/json` and the
contract's section 2: 200 with `errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response

from app.errors import ErrorCode
from app.graphql.error_codes import GraphQLCode

if TYPE_CHECKING:
    from cross_web import HTTPException
    from starlette.requests import Request
    from strawberry.http import GraphQLHTTPResponse

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

# The status of a request error under GRAPHQL_RESPONSE, by its first error's code.
REQUEST_ERROR_STATUS: dict[str, int] = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.INTERNAL_SERVER_ERROR: 500,
}


def negotiate(accept: str | None) -> str:
    """The media type to answer with: GRAPHQL_RESPONSE when the client prefers it (or takes it
    and not JSON), JSON otherwise, also when it sends no Accept header at all."""
    weights = _weights(accept or "")
    ours = weights.get(GRAPHQL_RESPONSE, 0.0)
    json = max(weights.get(JSON, 0.0), weights.get("application/*", 0.0), weights.get("*/*", 0.0))
    return GRAPHQL_RESPONSE if ours > 0 and ours >= json else JSON


def request_error_status(body: GraphQLHTTPResponse) -> int:
    """The 4xx or 5xx of a request error (a body with no `data`) under GRAPHQL_RESPONSE."""
    errors: list[dict[str, Any]] = body.get("errors") or [{}]  # type: ignore[assignment]
    code = (errors[0].get("extensions") or {}).get("code")
    return REQUEST_ERROR_STATUS.get(str(code), 400)


def unreadable_request(request: Request, error: HTTPException) -> Response:
    """A request the view could not take (its body, its parameters, its method) as a GraphQL
    error in JSON with the view's status; 405 says which method would do."""
    body = {"errors": [{"message": error.reason, "extensions": {"code": "BAD_USER_INPUT"}}]}
    headers = {"allow": "POST"} if error.status_code == 405 else {}
    return Response(
        orjson.dumps(body),
        status_code=error.status_code,
        media_type=negotiate(request.headers.get("accept")),
        headers=headers,
    )


def persisted_query_not_found(request: Request) -> Response:
    """Apollo's answer to an unknown hash: 200 and uncached, so that no error handling masks
    it from the client's persisted-query link, which then sends the query with its hash."""
    code = GraphQLCode.PERSISTED_QUERY_NOT_FOUND
    error = {"message": "PersistedQueryNotFound", "extensions": {"code": code}}
    return Response(
        orjson.dumps({"errors": [error]}),
        media_type=negotiate(request.headers.get("accept")),
        headers={"cache-control": "private, no-cache, must-revalidate"},
    )


def _weights(accept: str) -> dict[str, float]:
    """Media ranges of an Accept header with their q values (RFC 9110 12.5.1)."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        weights[media.lower()] = max(weights.get(media.lower(), 0.0), quality)
    return weights
