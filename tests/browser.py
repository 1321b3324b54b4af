"""Headless Chromium for tests that look at a page as a person would, with the network closed.

The browser is the system's Chromium (Debian's `chromium`; CHROMIUM names another), driven by
Playwright, which downloads nothing here. Without Chromium the test skips, or fails where
REQUIRE_SERVERS=1 (CI installs it: .ci/run).
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from playwright.async_api import async_playwright

from tests.faults.private_servers import require_binary

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from playwright.async_api import Page

# Every name resolves to nothing but loopback: a request that would leave the machine fails in
# the browser's resolver, whatever the page asks for.
CLOSED_NETWORK = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


def find_chromium() -> str:
    """The Chromium binary to drive; skip, or fail when REQUIRE_SERVERS=1."""
    named = os.environ.get("CHROMIUM", "").strip()
    return require_binary("Chromium", *filter(None, [named, "chromium", "chromium-browser"]))


@asynccontextmanager
async def offline_page() -> AsyncIterator[Page]:
    """A fresh page in headless Chromium that can reach loopback and nothing else."""
    executable = find_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable,
            args=[
                f"--host-resolver-rules={CLOSED_NETWORK}",
                "--no-sandbox",  # CI and the dev machines run as root
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
            ],
        )
        try:
            context = await browser.new_context()
            yield await context.new_page()
        finally:
            await browser.close()
