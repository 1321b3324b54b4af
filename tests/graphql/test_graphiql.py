"""GraphiQL on GET /graphql: its files pinned on a CDN under integrity, a clear message when they
cannot load, and queries that run from a real browser with the network closed.

The browser reaches nothing but loopback. To render GraphiQL, it is handed the CDN's files as
npm publishes them, so the page's integrity digests must match the real files or the browser
refuses them, as it would from the CDN.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import subprocess
import sys
import time
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from playwright.async_api import expect

from tests.api import LOGIN, PASSWORD, REGISTER, unique_email
from tests.browser import offline_page
from tests.faults.private_servers import free_port
from tests.npm_files import NpmFiles

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from playwright.async_api import Route

    from tests.api import Api

CDN = "https://unpkg.com"
HTML = {"Accept": "text/html"}
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript"}


class Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def assets(self) -> list[dict[str, str | None]]:
        """The scripts and stylesheets the page loads."""
        return [
            attrs
            for tag, attrs in self.found
            if (tag == "script" and attrs.get("src")) or (tag == "link" and attrs.get("href"))
        ]


def source(attrs: dict[str, str | None]) -> str:
    return attrs.get("src") or attrs.get("href") or ""


def package_and_path(url: str) -> tuple[str, str]:
    """`https://unpkg.com/@scope/name@1.2.3/dist/x.js` -> (`@scope/name@1.2.3`, `dist/x.js`)."""
    parts = urlsplit(url).path.lstrip("/").split("/")
    cut = 2 if parts[0].startswith("@") else 1
    return "/".join(parts[:cut]), "/".join(parts[cut:])


def sha384(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


async def graphiql_assets(api: Api) -> list[dict[str, str | None]]:
    response = await api.http.get("/graphql", headers=HTML)
    assert response.status_code == 200
    return Tags(response.text).assets()


@pytest.fixture(scope="session")
def npm_files(tmp_path_factory: pytest.TempPathFactory) -> NpmFiles:
    return NpmFiles(tmp_path_factory.mktemp("npm"))


async def test_graphiql_loads_each_file_pinned_from_the_cdn_under_integrity(api: Api) -> None:
    response = await api.http.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    tags = Tags(response.text)
    assets = tags.assets()
    packages = {package_and_path(source(attrs))[0].rsplit("@", 1)[0] for attrs in assets}
    assert packages == {"graphiql", "@graphiql/plugin-explorer", "react", "react-dom"}
    for attrs in assets:
        url = source(attrs)
        assert url.startswith(f"{CDN}/"), url
        version = package_and_path(url)[0].rsplit("@", 1)[1]
        assert version.replace(".", "").isdigit(), f"{url} is not pinned to an exact version"
        assert (attrs.get("integrity") or "").startswith("sha384-"), url
        assert attrs.get("crossorigin") == "anonymous", url
    links = {attrs.get("href") for tag, attrs in tags.found if tag == "a"}
    assert links == {"/docs", "/redoc"}  # what still works offline, on this service
    assert "GraphiQL could not load" in response.text


async def test_the_integrity_digests_are_those_of_the_files_npm_publishes(
    api: Api, npm_files: NpmFiles
) -> None:
    for attrs in await graphiql_assets(api):
        package, path = package_and_path(source(attrs))
        assert attrs["integrity"] == sha384(npm_files.read(package, path)), f"{package}/{path}"


async def test_graphiql_is_not_served_to_a_client_that_asks_for_json(api: Api) -> None:
    response = await api.http.get("/graphql", headers={"Accept": "application/json"})
    assert "GraphiQL" not in response.text


def start_server(backend: dict[str, Any], folder: Path, port: int) -> subprocess.Popen[bytes]:
    """`python -m app serve` on this backend and port, with nothing from the shell but PATH."""
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env |= {
        "PYTHONPATH": os.getcwd(),
        "DATABASE_URL": backend["database_url"],
        "DATA_DIR": str(folder),
        "SECRET_KEY": "graphiql-test-secret-key-long-enough-for-hs256",
        "PORT": str(port),
        "RATE_LIMITS": "off",
        "LOG_LEVEL": "WARNING",
    }
    if backend["redis_url"]:
        env["REDIS_URL"] = backend["redis_url"]
    return subprocess.Popen([sys.executable, "-m", "app", "serve"], cwd=folder, env=env)


@pytest.fixture(scope="module")
async def server(
    backend: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A real server on this backend, on a free loopback port: its base URL."""
    port = free_port()
    process = start_server(backend, tmp_path_factory.mktemp("graphiql-server"), port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=base_url) as client:
            while True:
                assert process.poll() is None, "the server exited while starting"
                assert time.monotonic() < deadline, "the server did not start within 30 s"
                try:
                    if (await client.get("/health/live")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


async def signed_in(base_url: str) -> tuple[str, str]:
    """A new account on the server: its email and an access token."""
    email = unique_email()
    credentials = {"email": email, "password": PASSWORD}
    async with httpx.AsyncClient(base_url=base_url) as client:
        registered = await client.post(
            "/graphql", json={"query": REGISTER, "variables": {"input": credentials}}
        )
        assert "errors" not in registered.json(), registered.json()
        logged_in = await client.post(
            "/graphql", json={"query": LOGIN, "variables": {"input": credentials}}
        )
    return email, logged_in.json()["data"]["login"]["accessToken"]


async def test_offline_graphiql_says_what_failed_and_what_still_works(server: str) -> None:
    async with offline_page() as page:
        await page.goto(f"{server}/graphql")
        failed = page.locator("#graphiql-failed")
        await expect(failed).to_be_visible(timeout=15_000)
        await expect(failed).to_contain_text("GraphiQL could not load")
        await expect(failed).to_contain_text(f"{CDN}/graphiql@")
        await expect(failed).to_contain_text("POST /graphql")
        await expect(page.get_by_role("link", name="Swagger UI")).to_have_attribute("href", "/docs")


async def test_graphiql_runs_a_signed_in_query_with_the_headers_editor(
    server: str, npm_files: NpmFiles
) -> None:
    email, token = await signed_in(server)
    async with httpx.AsyncClient(base_url=server) as client:
        page_html = (await client.get("/graphql", headers=HTML)).text
    published = {
        source(attrs): npm_files.read(*package_and_path(source(attrs)))
        for attrs in Tags(page_html).assets()
    }

    async def cdn(route: Route) -> None:
        """The CDN's answer, with the file npm publishes; the browser checks its integrity."""
        url = route.request.url
        if url not in published:
            await route.abort()
            return
        await route.fulfill(
            body=published[url],
            content_type=MEDIA_TYPES[url[url.rfind(".") :]],
            headers={"Access-Control-Allow-Origin": "*"},
        )

    async with offline_page() as page:
        await page.route(f"{CDN}/**", cdn)
        query = "{ __typename me { email } }"
        await page.goto(f"{server}/graphql?q={quote(query)}")
        await expect(page.locator(".graphiql-query-editor")).to_contain_text("__typename")
        await page.get_by_role("button", name="Headers").click()
        headers_editor = page.locator(".graphiql-editor-tool .graphiql-editor:visible")
        await headers_editor.click()
        await page.keyboard.type(f'{{"Authorization": "Bearer {token}"}}')
        await page.locator(".graphiql-execute-button").click()
        result = page.locator(".result-window")
        await expect(result).to_contain_text('"__typename": "Query"')
        await expect(result).to_contain_text(email)
