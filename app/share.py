"""Share links: `GET /r/{code}` sends the visitor to LANDING_URL, with `ref=<CODE>` when the code
is active, and counts the visit. It answers 302 whatever the code, never an error: a link in the
wild must land somewhere.

A bare ASGI endpoint: the path is hot (every click on every shared link), so it skips building
a Request and a Response, and reads the code through the code cache like any lookup.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from app.domain.codes import SHARE_PATH
from app.errors import BadUserInput
from app.uow import UnitOfWork

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from app.domain.codes import Code
    from app.runtime import Runtime

logger = logging.getLogger(__name__)

ROUTE = SHARE_PATH + "{code:path}"  # anything under /r/, slashes included, lands
REF = "ref"
# What may stay unescaped in a Location (as Starlette's RedirectResponse keeps it).
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


class LandingLocations:
    """LANDING_URL with `ref=<CODE>` merged into its query (the rest of it kept as written),
    and without `ref`; built once at start-up, so that a redirect only joins strings."""

    def __init__(self, landing_url: str) -> None:
        parts = urlsplit(quote(landing_url, safe=URL_SAFE))
        kept = [
            pair
            for pair in parts.query.split("&")
            if pair and unquote(pair.partition("=")[0]) != REF
        ]
        query = "&".join(kept)
        self.without_ref = urlunsplit(parts._replace(query=query))
        ref_query = f"{query}&{REF}=" if query else f"{REF}="
        self._before_code = urlunsplit(parts._replace(query=ref_query, fragment=""))
        self._after_code = f"#{parts.fragment}" if parts.fragment else ""

    def with_ref(self, code: str) -> str:
        """Where an active code's link lands (`code` is letters and digits: nothing to escape)."""
        return self._before_code + code + self._after_code


class ShareRedirect:
    """The `GET /r/{code}` endpoint."""

    def __init__(self, landing_url: str) -> None:
        self._locations = LandingLocations(landing_url)
        self._without_ref = self._answer(self._locations.without_ref)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime: Runtime = scope["app"].state.runtime
        code = await self._active_code(runtime, scope["path_params"]["code"])
        if code is None:
            start = self._without_ref
        else:
            client = scope.get("client")
            await runtime.services.visits.visit(code=code, client=client[0] if client else None)
            start = self._answer(self._locations.with_ref(code.code))
        await send(start)
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _active_code(runtime: Runtime, value: str) -> Code | None:
        """The active code the link names, or None: malformed, unknown, inactive, or not
        readable now (the database down on a cache miss still lands the visitor)."""
        uow = UnitOfWork(runtime.database, writes=False)  # opens a session only on a miss
        try:
            return await runtime.services.codes.shared(uow, code=value)
        except BadUserInput:
            return None
        except Exception as error:
            logger.warning(
                "share link lookup failed (%s); landing without ref", type(error).__name__
            )
            return None
        finally:
            await uow.close()

    @staticmethod
    def _answer(location: str) -> dict[str, object]:
        return {
            "type": "http.response.start",
            "status": 302,
            "headers": [
                (b"location", location.encode("latin-1")),
                (b"cache-control", b"no-store"),
                (b"content-length", b"0"),
            ],
        }
