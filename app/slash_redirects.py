"""Trailing-slash redirects with a relative Location, never one built from the `Host` header.

Starlette's router answers `/auth/register` with a 307 to `http://<Host>/auth/register/`, taking
the host from the request, so that anyone who can put a `Host` header in front of a cache or a
proxy can send clients elsewhere. The replaced FastAPI service answered those 307s too, and its
clients may follow them: this keeps the redirect and drops the host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import URL
from starlette.responses import RedirectResponse
from starlette.routing import Match

if TYPE_CHECKING:
    from starlette.routing import Router
    from starlette.types import Receive, Scope, Send


class RelativeSlashRedirect:
    """The router's fallback: a 307 to the same path with or without its trailing slash, when
    that path has a route, else the router's own 404."""

    def __init__(self, router: Router) -> None:
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if scope["type"] == "http" and path != "/":
            other = path.rstrip("/") if path.endswith("/") else path + "/"
            other_scope = {**scope, "path": other}
            if any(route.matches(other_scope)[0] is not Match.NONE for route in self.router.routes):
                # A URL of a scope with no host and no server is relative (`//` escaped).
                bare = {
                    "path": other,
                    "query_string": scope.get("query_string", b""),
                    "headers": [],
                }
                await RedirectResponse(str(URL(scope=bare)), 307)(scope, receive, send)
                return
        await self.router.not_found(scope, receive, send)


def redirect_slashes_relatively(router: Router) -> None:
    """Replace the router's trailing-slash redirects by relative ones."""
    router.redirect_slashes = False
    router.default = RelativeSlashRedirect(router)
