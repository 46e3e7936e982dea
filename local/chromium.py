"""Debian's headless Chromium (``make browser``), driven by Playwright, on the local runtime's web page:
what the browser tests (tests/browser) and the latency benchmark share.

    with chromium_context() as context:
        page = context.new_page()
        mode = open_event_page(page, runtime.url, event_id)

Playwright is imported only when a browser is launched: nothing else of the local runtime needs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "chromium_browser",
    "chromium_context",
    "missing",
    "open_event_page",
    "sign_in",
    "wait_until",
]

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# As root in a closed network: no sandbox, and no background connections Chromium would wait on.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing() -> str | None:
    """Why no browser can be launched here (no Chromium, no Playwright), or None when one can."""
    if not Path(CHROMIUM).is_file():
        return f"Chromium not found at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@contextlib.contextmanager
def chromium_context(**options: Any) -> Iterator[Any]:
    """A Playwright browser context of a fresh Chromium profile (its own ``--user-data-dir``), closed and
    removed afterwards; ``options`` go to ``launch_persistent_context`` (e.g. ``viewport``)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="backchannel-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **options
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.contextmanager
def chromium_browser() -> Iterator[Any]:
    """A Playwright Browser (one Chromium process) whose ``new_context()`` gives isolated profiles: one
    per signed-in member, since a context's pages share their origin's storage (and so one session)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Any, base_url: str, username: str, password: str, *, path: str = "/web/") -> dict[str, Any]:
    """Open the web app (``path``) and sign in through web/auth.js's ``signIn`` (SRP against the stack's
    pool, as the sign-in form does); returns ``currentUser()``. Raises if Cognito refuses."""
    if not page.url.startswith(f"{base_url}/web/"):
        page.goto(f"{base_url}{path}")
    user = page.evaluate(
        """async ([username, password]) => {
             const auth = await import(new URL("auth.js", location.href.replace(/[^/]*$/, "")).href);
             return auth.signIn(username, password);
           }""",
        [username, password],
    )
    if not user:
        raise RuntimeError(f"{username} could not sign in")
    return user


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.2) -> None:
    """Poll ``condition`` from Python (the page's CSP forbids the eval that wait_for_function uses)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(interval)


def open_event_page(page: Any, base_url: str, event_id: str, *, timeout: float = 15.0) -> str:
    """Open the page for remote members on an event and wait until it lists the sessions and has chosen
    how it follows the feed; returns that live mode (``#live-mode``: the socket, polling, ...)."""
    page.goto(f"{base_url}/web/#/events/{event_id}")
    page.wait_for_selector("#sessions li", timeout=timeout * 1000)
    wait_until(lambda: page.inner_text("#live-mode") != "off", timeout, interval=0.05)
    return page.inner_text("#live-mode")
