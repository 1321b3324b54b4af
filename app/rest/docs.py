"""GET /openapi.json, and the Swagger UI and ReDoc pages that render it, served offline.

The pages' scripts and styles come from the `offapi` package, which ships Swagger UI and ReDoc
builds inside its wheel, so the docs work where no CDN can be reached.
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from app.rest.openapi import openapi_document

if TYPE_CHECKING:
    from starlette.requests import Request

    from app.settings import Settings

# Served name: (file in the offapi package, media type).
ASSETS = {
    "swagger-ui.css": ("swagger_style.css", "text/css"),
    "swagger-ui-bundle.js": ("swagger_bundle.js", "text/javascript"),
    "redoc.standalone.js": ("redoc.js", "text/javascript"),
}
ASSET_CACHE = "public, max-age=86400"

SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Referral service - Swagger UI</title>
<link rel="stylesheet" href="{root}/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{root}/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: "{root}/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}});
</script>
</body>
</html>
"""

REDOC_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Referral service - ReDoc</title>
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<div id="api-reference"></div>
<script type="module">
import {{ init }} from "{root}/docs/assets/redoc.standalone.js";
init("{root}/openapi.json", {{ disableTelemetry: true }}, document.getElementById("api-reference"));
</script>
</body>
</html>
"""


def docs_routes(settings: Settings) -> list[Route]:
    """The document, the two pages and their assets."""
    document = openapi_document(settings)

    async def openapi_json(request: Request) -> JSONResponse:
        return JSONResponse(document)

    return [
        Route("/openapi.json", openapi_json, include_in_schema=False),
        Route("/docs", swagger_ui, include_in_schema=False),
        Route("/redoc", redoc, include_in_schema=False),
        Route("/docs/assets/{name}", asset, include_in_schema=False),
    ]


async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI, with the OAuth2 password flow behind its Authorize button."""
    return HTMLResponse(SWAGGER_PAGE.format(root=request.scope.get("root_path", "")))


async def redoc(request: Request) -> HTMLResponse:
    """ReDoc, reading the same document."""
    return HTMLResponse(REDOC_PAGE.format(root=request.scope.get("root_path", "")))


async def asset(request: Request) -> Response:
    """A script or stylesheet of the pages, from the offapi package."""
    name = request.path_params["name"]
    if name not in ASSETS:
        raise HTTPException(status_code=404)
    filename, media_type = ASSETS[name]
    return Response(_read(filename), media_type=media_type, headers={"Cache-Control": ASSET_CACHE})


@cache
def _read(filename: str) -> bytes:
    return (_offapi_folder() / filename).read_bytes()


@cache
def _offapi_folder() -> Path:
    """Where the offapi package's files are, found without importing it: its __init__ reads
    every bundle it ships into templates we do not use (37 MB a worker)."""
    spec = find_spec("offapi")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the offapi package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))
