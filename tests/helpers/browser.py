"""Debian's chromium driven by Python Playwright, for the inspector's browser tests.

Never `playwright install`: the browser is the system's /usr/bin/chromium (or
MCP_USE_CHROMIUM). A machine without it fails loudly at import, it does not skip.
Screenshots go to test-output/ at the repository root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright import sync_api

from .process import REPO_ROOT

CHROMIUM = os.environ.get("MCP_USE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    # scripts/setup.sh installs Debian's chromium; a machine without it fails here loudly.
    raise RuntimeError(f"chromium not found at {CHROMIUM}: run scripts/setup.sh (apt-get install chromium)")

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
OUT = REPO_ROOT / "test-output"


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def new_page(browser: Any, **context_options: Any) -> Iterator[Any]:
    """A page in a fresh context; any uncaught page error fails the test at the end."""
    context = browser.new_context(**({"viewport": {"width": 1400, "height": 900}} | context_options))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in_in_page(page: Any, button: str = "#sign-in") -> str:
    """Click the inspector's "Sign in" and follow the tab it opens (an authorization
    server that approves at once) to the callback page; that page's URL, once the tab
    says it can be closed (and is closed)."""
    with page.context.expect_page() as opened:
        page.click(button)
    tab = opened.value
    tab.wait_for_load_state()
    tab.wait_for_selector("#outcome", timeout=30000)
    outcome, landed = tab.inner_text("#outcome"), tab.url
    assert "You can close this tab" in outcome, tab.content()
    tab.close()
    return str(landed)
