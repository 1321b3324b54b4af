"""Where an access token travels: the Authorization header or the auth cookie."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection


def bearer_or_cookie_token(connection: HTTPConnection, cookie_name: str) -> str | None:
    """The bearer token if one is sent, else the cookie's; None when neither is there."""
    header = connection.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return connection.cookies.get(cookie_name) or None
