"""The browser of the browser tests: Debian's headless Chromium (``make browser``) through Playwright,
one fresh profile per module (``local.chromium``); ``member_page`` and ``organiser_page`` are pages
signed in through the web app's own sign-in (web/auth.js), each in its own profile. Without Chromium
the tests are skipped, or fail with the reason when ``CI`` is set, so a CI run cannot pass without
the browser."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from local.chromium import chromium_browser, chromium_context, missing, sign_in
from local.user import create_user
from tests.support.runtime import SHARED, local_runtime


def _need_chromium() -> None:
    reason = missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure: run `make browser`)", pytrace=False)
    if reason:
        pytest.skip(f"{reason}: run `make browser`")


@pytest.fixture(scope="module")
def browser_context():
    _need_chromium()
    with chromium_context() as context:
        yield context


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module whose ``new_context()`` gives isolated profiles (local.chromium)."""
    _need_chromium()
    with chromium_browser() as launched:
        yield launched


@pytest.fixture(scope="package")
def stack():
    """The local runtime with the demo event, one for the browser tests (starting one costs ~20 s):
    ``(runtime, base_url)``. Tests make their own members, so they do not meet each other's.

    Package-scoped, not session-scoped: a worker that goes on to other tests stops it first, or its
    pumps would go on reading the queues and streams of the next tests' stacks in the same moto."""
    with local_runtime(demo=True) as (runtime, base_url):
        SHARED[runtime] = Path(__file__).parent
        try:
            yield runtime, base_url
        finally:
            SHARED.pop(runtime, None)


def _signed_in_page(browser, stack, *, organiser: bool):
    runtime, base_url = stack
    name = f"{'org' if organiser else 'member'}_{uuid.uuid4().hex[:8]}"
    password = f"Pw-{uuid.uuid4().hex[:12]}-9"
    create_user(runtime.outputs, name, organiser=organiser, password=password)  # confirmed, as after sign-up
    context = browser.new_context()
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    user = sign_in(page, base_url, name, password)  # web/auth.js signIn: SRP, no token injected
    page.member = {"username": name, "password": password, "email": f"{name}@example.com", **user}
    return context, page


@pytest.fixture
def member_page(browser, stack):
    """A page of the web app (``/web/``) signed in as a fresh member through web/auth.js ``signIn``, in
    its own browser context. ``page.member`` holds username, password, email, sub, name, organiser."""
    context, page = _signed_in_page(browser, stack, organiser=False)
    yield page
    context.close()


@pytest.fixture
def organiser_page(browser, stack):
    """As ``member_page``, for a fresh member of the organisers group."""
    context, page = _signed_in_page(browser, stack, organiser=True)
    yield page
    context.close()
