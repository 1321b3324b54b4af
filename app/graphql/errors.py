"""Every GraphQL error leaves with a contract code; unexpected ones are masked and logged."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.types.execution import PreExecutionError
from strawberry.utils.str_converters import to_camel_case

from app.db import is_unavailable
from app.errors import DomainError, ErrorCode, InvalidToken, RateLimited, ServiceUnavailable
from app.graphql.error_codes import GraphQLCode
from app.graphql.limits import MAX_TOKENS

if TYPE_CHECKING:
    from strawberry.types import ExecutionResult

logger = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Unexpected error."
# What graphql-core says when a document passes the token limit (it stops parsing there).
TOKEN_LIMIT_MESSAGE = f"Document contains more than {MAX_TOKENS} tokens"
# The domain's field names that GraphQL says otherwise than in camelCase.
FIELD_NAMES = {"page_size": "first"}
# graphql-core's "Did you mean 'me'?" names fields, types and enum values; quoted names hold no "?".
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def to_contract_error(
    error: GraphQLError, *, before_execution: bool, hide_suggestions: bool = False
) -> GraphQLError:
    """The error as a client may see it, with `extensions.code` from the contract.

    `before_execution` says the error stopped the operation before it ran: a document that
    could not be parsed or validated is the client's own bug (GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED), while variables that cannot be coerced are its user's input
    (BAD_USER_INPUT). `hide_suggestions` strips graphql-core's "Did you mean ...?" hints, which
    would otherwise reveal the schema to clients that introspection is turned off for.
    """
    original = error.original_error
    if isinstance(original, DomainError):
        return _domain_error(error, original)
    if error.path is None:
        message = _SUGGESTION.sub("", error.message) if hide_suggestions else error.message
        if not before_execution:
            return _with_code(error, message, ErrorCode.BAD_USER_INPUT)
        return _with_code(error, message, _document_error_code(error))
    if original is not None and is_unavailable(original):
        logger.warning("database unavailable: %s", type(original).__name__)
        return _domain_error(error, ServiceUnavailable())
    logger.error("unexpected error in %s", ".".join(map(str, error.path)), exc_info=original)
    return _with_code(error, INTERNAL_MESSAGE, ErrorCode.INTERNAL_SERVER_ERROR)


def _document_error_code(error: GraphQLError) -> GraphQLCode:
    """A syntax error, or a document that breaks a rule (the token limit aborts the parse, but
    it is a size limit like depth and aliases: a validation failure)."""
    if isinstance(error, GraphQLSyntaxError) and TOKEN_LIMIT_MESSAGE not in error.message:
        return GraphQLCode.GRAPHQL_PARSE_FAILED
    return GraphQLCode.GRAPHQL_VALIDATION_FAILED


def _domain_error(error: GraphQLError, domain: DomainError) -> GraphQLError:
    """A domain error in GraphQL's words: its field in camelCase, its wait in `retryAfter`,
    what is wrong with a presented token in `reason`."""
    extensions: dict[str, object] = {}
    field = None
    if domain.field is not None:
        field = FIELD_NAMES.get(domain.field) or to_camel_case(domain.field)
        extensions["field"] = field
    if isinstance(domain, RateLimited):
        extensions["retryAfter"] = domain.retry_after
    if isinstance(domain, InvalidToken):
        extensions["reason"] = str(domain.problem)
    return _with_code(error, domain.detail(field), domain.code, extensions)


def _with_code(
    error: GraphQLError,
    message: str,
    code: ErrorCode | GraphQLCode,
    extensions: dict[str, object] | None = None,
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


def is_request_error(result: ExecutionResult) -> bool:
    """True when the operation never ran: the document could not be parsed or validated, its
    variables not coerced, or the request not authenticated (GraphQL's "request errors")."""
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )
