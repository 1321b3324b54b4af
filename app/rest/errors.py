"""The REST edge's one error translation point: `{"detail": ...}` with the contract's status."""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from app.db import is_unavailable
from app.errors import DomainError, ErrorCode, RateLimited, ServiceUnavailable

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails
    from starlette.requests import Request

logger = logging.getLogger(__name__)

STATUS_BY_CODE: dict[ErrorCode, int] = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.BAD_USER_INPUT: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.REFERRAL_CODE_INVALID: 400,
    ErrorCode.REFERRAL_CODE_EXPIRED: 400,
    ErrorCode.REFERRAL_CODE_EXHAUSTED: 400,
    ErrorCode.EMAIL_REJECTED: 400,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.INTERNAL_SERVER_ERROR: 500,
}
# The domain's field names that the REST shim's clients know by other names.
FIELD_NAMES = {"page_size": "limit", "expires_at": "expiration"}
_SECRET_FIELDS = {"password", "refresh_token", "client_secret"}
# Seconds a client is told to wait while the database is unreachable: about what a restart
# or a failover takes, and long enough that retrying clients do not pile onto it.
UNAVAILABLE_RETRY_AFTER = 5


class InvalidRequest(Exception):
    """The request could not be read into the operation's models (answered 422)."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__("invalid request")
        self.issues = issues


def validation_issues(errors: list[ErrorDetails], *, source: str) -> list[dict[str, Any]]:
    """Pydantic's errors in FastAPI's familiar shape, located in `source` (path, query, body)."""
    issues = []
    for error in errors:
        loc = [source, *error["loc"]]
        issue: dict[str, Any] = {"type": error["type"], "loc": loc, "msg": error["msg"]}
        # The input is echoed for one field, never for a whole body (or a missing field's
        # parent) where a password could be, nor for a secret field.
        names_one_field = len(loc) > 1 and error["type"] != "missing"
        if names_one_field and not _SECRET_FIELDS.intersection(map(str, loc)):
            issue["input"] = to_jsonable_python(error["input"], fallback=str)
        if "ctx" in error:
            issue["ctx"] = to_jsonable_python(error["ctx"], fallback=str)
        issues.append(issue)
    return issues


def error_response(error: Exception, *, operation: str) -> tuple[JSONResponse, ErrorCode]:
    """The answer to an error raised while serving `operation` ("METHOD /path/{template}"),
    and the contract code it answers with."""
    if isinstance(error, InvalidRequest):
        return JSONResponse({"detail": error.issues}, status_code=422), ErrorCode.BAD_USER_INPUT
    if not isinstance(error, DomainError):
        if not is_unavailable(error):
            # The path template, not the path: a path may carry an email address.
            logger.error(
                "unexpected %s in %s\n%s",
                type(error).__name__,
                operation,
                "".join(traceback.format_tb(error.__traceback__)),
            )
            answer = JSONResponse({"detail": "Internal Server Error"}, status_code=500)
            return answer, ErrorCode.INTERNAL_SERVER_ERROR
        logger.warning("database unavailable in %s: %s", operation, type(error).__name__)
        error = ServiceUnavailable()
    status = STATUS_BY_CODE[error.code]
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, ServiceUnavailable):
        headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    field = FIELD_NAMES.get(error.field, error.field) if error.field else None
    answer = JSONResponse({"detail": error.detail(field)}, status_code=status, headers=headers)
    return answer, error.code


async def http_error(request: Request, error: Exception) -> JSONResponse:
    """Starlette's own errors (unknown path, wrong method) in the same `{"detail": ...}` shape."""
    assert isinstance(error, HTTPException)
    detail = error.detail or HTTPStatus(error.status_code).phrase
    return JSONResponse({"detail": detail}, status_code=error.status_code, headers=error.headers)
