"""Refuses a request whose head (request line and header fields) passes 16 KiB, with 431.

uvicorn's default parser, httptools, has no limit on the head: it buffers a 64 MB header whole,
and the worker serves nobody else for seconds while it does. h11 has one, but parses in Python
and answers 400 (bench numbers in the README). So this keeps httptools and counts the head:

- bytes that arrive while a request's head is incomplete reach the parser only up to the
  limit; a head that is still incomplete there is answered 431 at once, and never buffered;
- a head that began in a chunk that ended a previous, pipelined request is counted from the
  next chunk on (so at most one chunk, 256 KiB, is buffered uncounted), and every head is
  measured once complete and answered 431 through uvicorn's own path for refusals (the one
  `limit_concurrency` uses).

uvicorn has no public hook for this. The subclass relies on HttpToolsProtocol's parser
callbacks, `on_response_complete`, and its `app`, `url`, `headers`, `cycle`, `flow` and
`transport`; tests/test_header_limit.py fails loudly when they change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

MAX_HEAD_BYTES = 16 * 1024
DETAIL = b'{"detail":"The request headers are larger than 16 KiB."}'
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(DETAIL)).encode()),
    (b"connection", b"close"),
]


async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
    """The answer to a head over the limit, as an ASGI app."""
    await send({"type": "http.response.start", "status": 431, "headers": HEADERS})
    await send({"type": "http.response.body", "body": DETAIL})


class HeadLimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with MAX_HEAD_BYTES on each request's head."""

    _head_open = True  # no head has completed since the last request ended
    _head_bytes = 0  # bytes received while the head was open
    _requests_ended = 0
    _refusing = False  # a head passed the limit, behind a pipelined request still answering

    def data_received(self, data: bytes) -> None:
        if self._refusing:
            return  # more of the refused head
        if not self._head_open:
            super().data_received(data)
            return
        allowance = MAX_HEAD_BYTES - self._head_bytes
        self._head_bytes += len(data)
        if len(data) <= allowance:
            super().data_received(data)
            return
        # The head may end within what the limit allows; what follows it is then the body.
        ended = self._requests_ended
        super().data_received(data[:allowance])
        if self._head_open and self._requests_ended == ended:
            self._refuse_now()  # all of it was head
        elif not self.transport.is_closing():
            self.data_received(data[allowance:])

    def on_headers_complete(self) -> None:
        self._head_open = False
        if _head_size(self.url, self.headers) <= MAX_HEAD_BYTES:
            super().on_headers_complete()
            return
        app, self.app = self.app, refuse
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_open = True
        self._head_bytes = 0
        self._requests_ended += 1

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._refusing and self.cycle.response_complete:
            self._refuse_now()

    def _refuse_now(self) -> None:
        """Answer 431 and close, once the requests pipelined before this one are answered."""
        self._refusing = self.cycle is not None and not self.cycle.response_complete
        if self._refusing:
            self.flow.pause_reading()
            return
        status = b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        fields = b"".join(name + b": " + value + b"\r\n" for name, value in HEADERS)
        self.transport.write(status + fields + b"\r\n" + DETAIL)
        self.transport.close()


def _head_size(url: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """The head's size as it came, near enough: `GET <url> HTTP/1.1`, `name: value` lines."""
    return len(url) + 16 + sum(len(name) + len(value) + 4 for name, value in headers)
