"""`GET /`: a small page naming the service, with links to its API explorers; the default
LANDING_URL, so a share link lands somewhere useful, showing the code it carried (escaped)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from starlette.responses import HTMLResponse

if TYPE_CHECKING:
    from starlette.requests import Request

SHOWN_REF_LENGTH = 64  # a code is at most 24; anything longer is shown cut
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Referral service</title>
</head>
<body>
<h1>Referral service</h1>
<p>Register, share your referral code, and see who joined with it.</p>
{invitation}<ul>
<li><a href="/graphql">GraphiQL</a>: the GraphQL API, explorable</li>
<li><a href="/docs">Swagger UI</a>: the REST API</li>
<li><a href="/redoc">ReDoc</a>: the REST API's reference</li>
</ul>
</body>
</html>
"""
INVITATION = '<p>You were invited with the referral code <strong id="ref">{code}</strong>.</p>\n'
# The page runs no script and loads nothing: a reflected `ref` could not run one anyway.
HEADERS = {"Content-Security-Policy": "default-src 'none'", "Cache-Control": "no-store"}


async def root_page(request: Request) -> HTMLResponse:
    ref = request.query_params.get("ref", "").strip()
    invitation = INVITATION.format(code=escape(ref[:SHOWN_REF_LENGTH])) if ref else ""
    return HTMLResponse(PAGE.format(invitation=invitation), headers=HEADERS)
