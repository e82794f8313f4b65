"""Fixtures of the web page tests: one headless Chromium per module, a fresh tab per test.

Playwright drives Debian's Chromium (``$STREAM_AL_CHROMIUM``, default
``/usr/bin/chromium``); a test asking for a tab is skipped when either is
missing. The tests reuse the API tests' server harness (``tests/api/api_harness.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

CHROMIUM = Path(os.environ.get("STREAM_AL_CHROMIUM", "/usr/bin/chromium"))
WAIT_MS = 5000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (each test gets its own context)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (set STREAM_AL_CHROMIUM)")
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright is not installed (pip install playwright; no browser download needed)",
    )
    sync_api.expect.set_options(timeout=WAIT_MS)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    """The tab's size; a module overrides it for a wider page."""
    return {"width": 1024, "height": 768}


@pytest.fixture
def page(browser: Any, viewport: dict[str, int]) -> Iterator[Any]:
    """A fresh tab (its own sessionStorage); fails the test if the page's script threw."""
    context = browser.new_context(viewport=viewport)
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == [], f"the page's script failed: {errors}"
