"""GET /openapi.json, /docs and /redoc: generated, wired to OAuth2, served without a CDN."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

from app.rest.table import OPERATIONS

if TYPE_CHECKING:
    from tests.api import Api


async def test_the_document_is_openapi_3_1_with_every_operation(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    served = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert served == {(operation.method, operation.template) for operation in OPERATIONS}


async def test_the_oauth2_password_flow_points_at_the_token_endpoint(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/auth/token"
    assert schemes["APIKeyCookie"] == {"type": "apiKey", "in": "cookie", "name": "fastapiusersauth"}
    secured = {
        path
        for path, item in document["paths"].items()
        for operation in item.values()
        if operation.get("security")
    }
    assert secured == {"/auth/logout", "/referrals/create_code", "/referrals/delete_code"}


async def test_every_error_status_is_documented_with_the_detail_body(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    create_code = document["paths"]["/referrals/create_code"]["post"]["responses"]
    assert set(create_code) == {"200", "401", "403", "409", "415", "422", "429", "503"}
    assert create_code["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorRead"
    }
    assert "Retry-After" in create_code["429"]["headers"]


async def test_swagger_ui_and_redoc_load_their_assets_from_this_service(api: Api) -> None:
    for page in ("/docs", "/redoc"):
        response = await api.http.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "/openapi.json" in response.text
        sources = re.findall(r'(?:src=|href=|from )"([^"]+)"', response.text)
        assert sources
        for source in sources:
            assert source.startswith("/docs/assets/"), source
            asset = await api.http.get(source)
            assert asset.status_code == 200
            assert len(asset.content) > 10_000
            assert asset.headers["cache-control"] == "public, max-age=86400"


async def test_an_unknown_asset_is_404(api: Api) -> None:
    response = await api.http.get("/docs/assets/..%2Fsettings.py")
    assert response.status_code == 404


async def test_the_docs_assets_are_served_without_loading_every_bundle(api: Api) -> None:
    """offapi's __init__ reads all its bundles into templates (37 MB a worker); the pages need
    three files, read as they are asked for."""
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "redoc.standalone.js"):
        assert (await api.http.get(f"/docs/assets/{name}")).status_code == 200
    assert "offapi" not in sys.modules


async def test_415_and_the_accepted_media_types_are_documented_where_a_body_is_read(
    api: Api,
) -> None:
    document = (await api.http.get("/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody")
            assert ("415" in operation["responses"]) is (body is not None), (method, path)
            if body is not None:
                assert set(body["content"]) in (
                    {"application/json"},
                    {"application/x-www-form-urlencoded", "multipart/form-data"},
                ), (method, path)
    login = document["paths"]["/auth/login"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in login
