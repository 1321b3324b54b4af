"""Every GraphQL error leaves with a contract code; unexpected ones are masked and logged."""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError

from app.db import is_unavailable
from app.errors import DomainError, ServiceUnavailable

logger = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Unexpected error."
# graphql-core's "Did you mean 'me'?" names fields, types and enum values; quoted names hold no "?".
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def to_contract_error(error: GraphQLError, *, hide_suggestions: bool = False) -> GraphQLError:
    """The error as a client may see it, with `extensions.code` from the contract.

    `hide_suggestions` strips graphql-core's "Did you mean ...?" hints, which would otherwise
    reveal the schema to clients that introspection is turned off for.
    """
    original = error.original_error
    if isinstance(original, DomainError):
        return _with_code(error, original.detail, original.code, original.extensions)
    if error.path is None:
        # Parsing, validation and variable coercion: the request itself is malformed.
        message = _SUGGESTION.sub("", error.message) if hide_suggestions else error.message
        return _with_code(error, message, "BAD_USER_INPUT", {})
    if original is not None and is_unavailable(original):
        unavailable = ServiceUnavailable()
        logger.warning("database unavailable: %s", type(original).__name__)
        return _with_code(error, unavailable.detail, unavailable.code, {})
    logger.error("unexpected error in %s", ".".join(map(str, error.path)), exc_info=original)
    return _with_code(error, INTERNAL_MESSAGE, "INTERNAL_SERVER_ERROR", {})


def _with_code(
    error: GraphQLError, message: str, code: str, extensions: dict[str, object]
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={"code": code, **extensions},
    )
