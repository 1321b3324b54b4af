"""Every GraphQL error leaves with a contract code; unexpected ones are masked and logged."""

from __future__ import annotations

import logging

from graphql import GraphQLError

from app.db import is_unavailable
from app.errors import DomainError, ServiceUnavailable

logger = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Unexpected error."


def to_contract_error(error: GraphQLError) -> GraphQLError:
    """The error as a client may see it, with `extensions.code` from the contract."""
    original = error.original_error
    if isinstance(original, DomainError):
        return _with_code(error, original.detail, original.code, original.extensions)
    if error.path is None:
        # Parsing, validation and variable coercion: the request itself is malformed.
        return _with_code(error, error.message, "BAD_USER_INPUT", {})
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
