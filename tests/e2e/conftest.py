"""Browser fixtures for the end-to-end tests: Debian's chromium driven by Playwright (sync API)
against pytest-django's live server."""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an asyncio event loop in the test thread; Django would otherwise
# refuse ORM calls made from the test itself (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="package")
def browser():
    """One headless chromium for the tests of this package. Package-scoped, not session-scoped:
    while Playwright's sync API is open, the main thread has a running asyncio loop, which would
    break later tests that call asyncio.run(). Fails (never skips) when chromium is missing: the
    suite must run these tests. Install it with `scripts/bootstrap.sh test` or
    `apt-get install -y --no-install-recommends chromium`."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        hint = shutil.which("chromium") or shutil.which("chromium-browser")
        pytest.fail(
            f"Debian's chromium is not installed at {CHROMIUM}"
            + (f" (found {hint} instead)" if hint else "")
            + ". Run `scripts/bootstrap.sh test` or `apt-get install -y --no-install-recommends chromium`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": 1366, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def live_province(transactional_db):
    """The conftest province, built again after the flush of transactional tests (which also
    removes the document types seeded by migration)."""
    from conftest import build_province

    return build_province()
