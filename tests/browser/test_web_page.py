"""The page for remote members in a real headless Chromium (Debian's, driven by Playwright).

One local runtime with the demo event; the page is opened once on the demo event and followed as a
visitor would: the sessions with the live one marked in text, landmarks and labels, a 360-px-wide
screenshot, and a post made through the API that appears in the open page's feed without a reload.

Chromium comes from ``make browser`` (Debian's ``chromium`` package); see conftest.py for what happens
without it.
"""

from __future__ import annotations

import uuid

import pytest

from local.chromium import open_event_page, wait_until
from local.user import create_user
from tests.support.runtime import http

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 800}


@pytest.fixture(scope="module")
def page(stack, browser_context):
    runtime, base_url = stack
    event_id = runtime.demo_result["event_id"]
    assert event_id, runtime.demo_result
    page = browser_context.new_page()
    page.set_viewport_size(PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_event_page(page, base_url, event_id)
    page.errors = errors
    yield page
    page.close()


def test_the_event_page_lists_its_sessions_with_the_live_one_marked_in_text(stack, page):
    runtime, _ = stack
    assert page.locator("h1").inner_text() == "Learning at Work Week: Networked for Learning"
    sessions = page.locator("#sessions > li")
    assert sessions.count() == len(runtime.demo_result["session_ids"])
    live = page.locator("#sessions > li.live")
    assert live.count() == 1
    assert "Live now" in live.text_content()  # in words, not colour only
    assert "Working out loud" in live.inner_text()
    assert live.get_attribute("data-session-id") == runtime.demo_result["session_ids"][0]
    assert page.errors == []


def test_the_page_has_landmarks_labels_and_a_polite_live_feed(page, tmp_path_factory):
    for landmark in ("header", "nav", "main", "aside"):
        assert page.locator(landmark).count() >= 1, landmark
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, textarea, select')]
              .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                              && !el.getAttribute('aria-labelledby'))
              .map((el) => el.id || el.name || el.outerHTML)"""
    )
    assert unlabelled == []
    assert page.locator("#feed").get_attribute("aria-live") == "polite"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#post-form").is_hidden()  # read only without a token
    # Readable at 360 px: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot = tmp_path_factory.mktemp("web-page") / "event-360px.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 0
    # Keyboard: the first Tab lands on the skip link, which leads to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Escape")


def test_a_post_made_through_the_api_appears_on_the_open_page_without_a_reload(stack, page):
    runtime, base_url = stack
    event_id = runtime.demo_result["event_id"]
    page.evaluate("window.__notReloaded = true")
    user = create_user(runtime.outputs, "web_alice")
    text = f"Hello from the browser test {uuid.uuid4().hex[:8]} #LAWW26"
    reply = http(
        "POST",
        f"{base_url}/events/{event_id}/posts",
        json_body={"text": text},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        token=user["token"],
    )
    assert reply.status == 201, reply.body
    post_id = reply.json["id"]
    item = page.locator(f'#feed [data-post-id="{post_id}"]')
    wait_until(lambda: item.count() > 0, timeout=10)
    assert item.count() == 1, (
        f"the post did not appear within 10 s (live mode: {page.inner_text('#live-mode')})"
    )
    assert text in item.inner_text()
    print(f"live mode: {page.inner_text('#live-mode')}")
    assert page.evaluate("window.__notReloaded") is True
    # Newest first, shown once however it arrived (push, poll or both).
    assert page.locator("#feed > li").first.get_attribute("data-post-id") == post_id
    assert page.errors == []


def test_a_session_page_shows_its_questions_summary_and_notes(stack, page):
    runtime, _ = stack
    live_session = runtime.demo_result["session_ids"][0]
    page.locator(f'#sessions > li[data-session-id="{live_session}"] a').click()
    page.wait_for_selector("#questions-heading", timeout=10_000)
    wait_until(lambda: page.locator("#status").text_content() == "")
    assert page.evaluate("window.__notReloaded") is True  # hash routing: still the same document
    assert "Working out loud" in page.locator("h1").inner_text()
    assert "Live now" in page.locator("main").text_content()
    for heading in ("Questions", "Summary", "Public notes", "Posts in this session"):
        assert page.get_by_role("heading", name=heading).count() == 1, heading
    assert page.locator("#feed").get_attribute("aria-live") == "polite"
    assert page.errors == []
