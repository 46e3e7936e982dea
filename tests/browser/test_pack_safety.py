"""The HTML pack with hostile content, opened in a real headless Chromium (Debian's, driven by
Playwright): nothing runs and nothing is fetched. Checked twice: the pack as written, and the same
pack with its Content-Security-Policy removed, so the sanitiser alone is shown to hold.

Chromium comes from ``make browser``; without it the test is skipped, or fails when ``CI`` is set
(conftest.py)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from backchannel.packs.render.to_html import HtmlRenderer
from tests.unit.packs.test_render import NASTY, records

pytestmark = pytest.mark.browser

HOSTILE = [
    *NASTY,
    "<script>document.title = 'pwned'</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    '<svg><script>document.title="pwned"</script></svg>',
    "<body onload=\"document.title='pwned'\">",
    '<a href="javascript:document.title=\'pwned\'" id="jslink">click me</a>',
    "[jslink2](JaVaScRiPt:document.title='pwned')",
    '<meta http-equiv="refresh" content="0;url=https://evil.example/refresh">',
    '<link rel="stylesheet" href="https://evil.example/style.css">',
    '<object data="https://evil.example/obj"></object><embed src="https://evil.example/embed">',
    '<form action="https://evil.example/form"><button formaction="javascript:alert(1)">go</button></form>',
    "<style>@import url(https://evil.example/import.css);</style>",
    '<base href="https://evil.example/">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
]
HOSTILE_TEXT = "\n\n".join(HOSTILE)


def _hostile_records() -> list[tuple]:
    recs = records(body=HOSTILE_TEXT, post_text=HOSTILE_TEXT)
    begin = dict(recs[0][1])
    begin["title"] = "<script>document.title='pwned'</script>Pack"
    begin["event"] = {**begin["event"], "name": '<img src=x onerror="alert(1)">', "description": HOSTILE_TEXT}
    recs[0] = ("begin", begin)
    recs.insert(
        -2,
        ("item", "resources", {"url": "javascript:alert(1)", "kind": "link", "doi": None, "shares": 1}),
    )
    recs[-1] = ("end", {"contributors": [{"displayName": "<svg onload=alert(1)>"}]})
    return recs


def _pack_html() -> str:
    out = io.BytesIO()
    renderer = HtmlRenderer(out)
    for rec in _hostile_records():
        renderer.feed(rec)
    return out.getvalue().decode()


def _open(browser_context, path: Path) -> dict:
    page = browser_context.new_page()
    seen: dict[str, list] = {"requests": [], "dialogs": [], "errors": [], "console": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("console", lambda m: seen["console"].append(m.text))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    # a reader clicks the links that look like script: they must not run
    for link in page.query_selector_all("a"):
        if "click me" in (link.inner_text() or "") or "jslink" in (link.inner_text() or ""):
            link.click()
    page.wait_for_timeout(500)
    seen["title"] = page.title()
    seen["url"] = page.url
    page.close()
    return seen


@pytest.mark.parametrize("csp", [True, False], ids=["as-written", "without-csp"])
def test_hostile_content_neither_runs_nor_fetches(browser_context, tmp_path, csp):
    html = _pack_html()
    if not csp:
        html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
        assert "Content-Security-Policy" not in html
    path = tmp_path / "pack.html"
    path.write_text(html, encoding="utf-8")
    seen = _open(browser_context, path)

    assert seen["requests"] == [path.as_uri()], seen["requests"]
    assert seen["dialogs"] == []
    assert seen["errors"] == []
    # every script in the content would set the title to "pwned"; the hostile title is shown as text
    assert seen["title"] == "<script>document.title='pwned'</script>Pack"
    assert seen["url"] == path.as_uri()
