"""A real headless Chromium (Debian's `chromium` package) driven by Playwright.

No downloaded browsers: Playwright only drives the system's Chromium, with a fresh profile
and only loopback traffic. `make test` installs the package when it runs as root
(scripts/browser.sh).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, async_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A browser with a new, empty profile (Playwright passes it as --user-data-dir)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed: run `make test` as root, or apt-get it")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=ARGS,
            headless=True,
            viewport={"width": 1600, "height": 900},
        )
        try:
            yield context
        finally:
            await context.close()
