"""The contract's error codes as a GraphQL enum, so that front ends see them in the schema.

Errors carry the code as a string in `extensions.code`; the enum documents every value it takes.
"""

from __future__ import annotations

from enum import Enum, StrEnum

import strawberry

from app.errors import ErrorCode


class GraphQLCode(StrEnum):
    """Codes of the GraphQL edge alone: the client's own mistakes, as Apollo Server names them."""

    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    SUBSCRIPTION_LIMIT_REACHED = "SUBSCRIPTION_LIMIT_REACHED"


DESCRIPTIONS: dict[str, str] = {
    ErrorCode.UNAUTHENTICATED: "No, an invalid, expired or revoked token; or a wrong email or "
    "password. REST: 401.",
    ErrorCode.FORBIDDEN: "The account is inactive, or the caller may not do this. REST: 403.",
    ErrorCode.BAD_USER_INPUT: "An input breaks a rule (email, password, code, expiry, page "
    "size, cursor, id), or variables cannot be coerced; `extensions.field` names the input. "
    "REST: 422.",
    ErrorCode.NOT_FOUND: "No such user; no active code to delete; no such webhook endpoint. "
    "REST: 404.",
    ErrorCode.CONFLICT: "The email is registered, the code taken, or an active code exists. "
    "REST: 409.",
    ErrorCode.REFERRAL_CODE_INVALID: "Registering with a code that does not exist or was "
    "deleted. REST: 400.",
    ErrorCode.REFERRAL_CODE_EXPIRED: "Registering with an expired code. REST: 400.",
    ErrorCode.REFERRAL_CODE_EXHAUSTED: "Registering with a code that reached its `maxUses`. "
    "REST: 400.",
    ErrorCode.EMAIL_REJECTED: "The email verifier says the address is undeliverable, invalid "
    "or disposable. REST: 400.",
    ErrorCode.RATE_LIMITED: "Too many requests from this client; `extensions.retryAfter` "
    "says how many seconds to wait. REST: 429 with Retry-After.",
    ErrorCode.SERVICE_UNAVAILABLE: "The database cannot be reached; try again shortly. REST: 503.",
    ErrorCode.INTERNAL_SERVER_ERROR: "Anything unexpected; the message is masked and the "
    "request id (X-Request-ID) is logged. REST: 500.",
    GraphQLCode.GRAPHQL_PARSE_FAILED: "The document is not valid GraphQL syntax (a bug in the "
    "client, not its user's input).",
    GraphQLCode.GRAPHQL_VALIDATION_FAILED: "The document does not fit the schema (unknown "
    "fields, wrong argument types) or breaks a size limit (depth, aliases, tokens, cost).",
    GraphQLCode.PERSISTED_QUERY_NOT_FOUND: "The persisted query's hash is unknown: send the "
    "query with it once (automatic persisted queries).",
    GraphQLCode.SUBSCRIPTION_LIMIT_REACHED: "A WebSocket connection already holds 10 "
    "subscriptions: complete one first, or open another connection.",
}

_VALUES = {code: strawberry.enum_value(code, description=doc) for code, doc in DESCRIPTIONS.items()}
GraphQLErrorCode = strawberry.enum(  # type: ignore[call-overload]
    Enum("ErrorCode", _VALUES),  # an enum built from the table above
    description="Every value of `extensions.code` in an error this API answers with.",
)
