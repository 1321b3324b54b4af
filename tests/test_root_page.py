"""GET /: the page share links land on by default."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.api import Api


async def test_the_root_page_names_the_service_and_links_to_the_explorers(api: Api) -> None:
    response = await api.http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<h1>Referral service</h1>" in page
    for link in ('href="/graphql"', 'href="/docs"', 'href="/redoc"'):
        assert link in page
    assert 'id="ref"' not in page  # no code given, none shown


async def test_the_root_page_shows_the_ref_code(api: Api) -> None:
    page = (await api.http.get("/", params={"ref": "FRIEND2026"})).text
    assert '<strong id="ref">FRIEND2026</strong>' in page


async def test_a_script_in_ref_is_shown_as_text_never_run(api: Api) -> None:
    attack = '"><script>alert(document.cookie)</script><img src=x onerror=alert(1)>'
    response = await api.http.get("/", params={"ref": attack})
    assert "<script>" not in response.text
    assert "<img" not in response.text
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in response.text
    assert response.headers["content-security-policy"] == "default-src 'none'"
