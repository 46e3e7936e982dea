"""The browser of the browser tests: Debian's headless Chromium (``make browser``) through Playwright,
one fresh profile per module (``local.chromium``). Without it the tests are skipped, or fail with the
reason when ``CI`` is set, so a CI run cannot pass without the browser."""

from __future__ import annotations

import os

import pytest

from local.chromium import chromium_context, missing


@pytest.fixture(scope="module")
def browser_context():
    reason = missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure: run `make browser`)", pytrace=False)
    if reason:
        pytest.skip(f"{reason}: run `make browser`")
    with chromium_context() as context:
        yield context
