"""Request ids, the access log, and logging that never carries secrets."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import orjson
from starlette.routing import Route

from app.redaction import install_redaction

if TYPE_CHECKING:
    from collections.abc import Iterable

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.encode()
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
UNMATCHED = "<unmatched>"

access_logger = logging.getLogger("app.access")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Stamps every log record with the id of the request it belongs to."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log collectors: time, level, logger, request id, message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return orjson.dumps(entry).decode()


def configure_logging(level: str, *, json: bool = False, secrets: Iterable[str] = ()) -> None:
    """Logs with the request id on every line, plain or JSON, with secrets redacted."""
    install_redaction(secrets)
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter()
        if json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    # Neither format names a thread or a process: spare every record looking them up.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    # Nor a source file and line: without `_srcfile`, records skip walking the caller's stack
    # (the logging HOWTO's "Optimization" section names this switch).
    logging._srcfile = None
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO, and provider URLs carry the user's email address.
    logging.getLogger("httpx").setLevel(logging.WARNING)


class RequestLogMiddleware:
    """Gives each request its id and writes its access line, in one wrapper of `send`.

    The id: a sane X-Request-ID from the client, or a new one; it is echoed in the response and
    stamped on every log record made while the request runs. The line: method, route template,
    status and duration (in place of uvicorn's). It names the matched route's template
    (`/referrals/code_by_email/{email}`), never the path or query string as sent: those carry
    email addresses and referral codes. A request that matched no route is logged as UNMATCHED
    for the same reason. (One middleware, not two: each layer wrapping `send` costs every
    response a call.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope["headers"])
        header = (_REQUEST_ID_KEY, request_id.encode())
        token = request_id_var.set(request_id)
        status = 500  # what the client gets when the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_logger.info(
                "%s %s %d %.1fms",
                scope["method"],
                route_template(scope),
                status,
                (time.perf_counter() - started) * 1000,
            )
            request_id_var.reset(token)


def _request_id(headers: Iterable[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == _REQUEST_ID_KEY:
            incoming = value.decode("latin-1")
            if _SAFE_REQUEST_ID.fullmatch(incoming):
                return incoming
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The path template of the route the router matched, e.g. `/referrals/by_id/{id}`."""
    route = scope.get("route")
    return route.path_format if isinstance(route, Route) else UNMATCHED
