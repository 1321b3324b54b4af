"""Every GraphQL error leaves with a contract code; unexpected ones are masked and logged."""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError
from strawberry.utils.str_converters import to_camel_case

from app.db import is_unavailable
from app.errors import DomainError, ErrorCode, RateLimited, ServiceUnavailable

logger = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Unexpected error."
# The domain's field names that GraphQL says otherwise than in camelCase.
FIELD_NAMES = {"page_size": "first"}
# graphql-core's "Did you mean 'me'?" names fields, types and enum values; quoted names hold no "?".
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def to_contract_error(error: GraphQLError, *, hide_suggestions: bool = False) -> GraphQLError:
    """The error as a client may see it, with `extensions.code` from the contract.

    `hide_suggestions` strips graphql-core's "Did you mean ...?" hints, which would otherwise
    reveal the schema to clients that introspection is turned off for.
    """
    original = error.original_error
    if isinstance(original, DomainError):
        return _domain_error(error, original)
    if error.path is None:
        # Parsing, validation and variable coercion: the request itself is malformed.
        message = _SUGGESTION.sub("", error.message) if hide_suggestions else error.message
        return _with_code(error, message, ErrorCode.BAD_USER_INPUT)
    if original is not None and is_unavailable(original):
        logger.warning("database unavailable: %s", type(original).__name__)
        return _domain_error(error, ServiceUnavailable())
    logger.error("unexpected error in %s", ".".join(map(str, error.path)), exc_info=original)
    return _with_code(error, INTERNAL_MESSAGE, ErrorCode.INTERNAL_SERVER_ERROR)


def _domain_error(error: GraphQLError, domain: DomainError) -> GraphQLError:
    """A domain error in GraphQL's words: its field in camelCase, its wait in `retryAfter`."""
    extensions: dict[str, object] = {}
    field = None
    if domain.field is not None:
        field = FIELD_NAMES.get(domain.field) or to_camel_case(domain.field)
        extensions["field"] = field
    if isinstance(domain, RateLimited):
        extensions["retryAfter"] = domain.retry_after
    return _with_code(error, domain.detail(field), domain.code, extensions)


def _with_code(
    error: GraphQLError, message: str, code: ErrorCode, extensions: dict[str, object] | None = None
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={"code": str(code), **(extensions or {})},
    )
