"""The web app's journeys in a real headless Chromium (Debian's, through Playwright), against one local
runtime with the demo event: what attendees, organisers and remote members do, end to end.

- join the event, post, and the post arrives on a second, anonymous page without a reload;
- a note edited in two tabs: the second save meets the first (412) and keeps mine;
- offline: two posts and a note wait in the outbox, survive a reload without network, and reach the
  server exactly once each when the network returns;
- an organiser publishes a summary, and an open anonymous page shows it without a reload;
- a personal pack built, then downloaded;
- axe-core on every main screen (no serious or critical violations), with screenshots at 360 and
  1280 px under .local/screenshots/.

Each member has their own browser context (a profile: the sign-in and the outbox are per profile).
"""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path

import pytest

from local.chromium import sign_in, wait_until
from local.user import create_user
from tests.support.runtime import http

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".local" / "screenshots"
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


class Member:
    """A member with their own browser profile (``name`` None: an anonymous visitor), signed in through
    the web app's own sign-in (web/auth.js: the profile keeps the session for every page)."""

    def __init__(self, browser, stack, name: str | None, *, organiser: bool = False, viewport=PHONE):
        runtime, self.base_url = stack
        self.context = browser.new_context(viewport=viewport, accept_downloads=True)
        self.errors: list[str] = []
        self.user = None
        if name:
            password = f"Pw-{uuid.uuid4().hex[:12]}-9"
            self.user = create_user(runtime.outputs, name, organiser=organiser, password=password)
            page = self.context.new_page()
            sign_in(page, self.base_url, name, password)
            page.close()

    def page(self, route: str = "#/"):
        page = self.context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.goto(f"{self.base_url}/web/{route}")
        ready(page, route)
        return page

    def close(self):
        self.context.close()


def wait(condition, timeout: float = 30) -> None:
    """Until ``condition`` holds: generous, since the runtime shares two cores with the other tests."""
    wait_until(condition, timeout, interval=0.1)


def ready(page, route: str | None = None, timeout: float = 60):
    """The screen of ``route`` (else the current one) has loaded, without an error in its status line."""
    shown = page.locator(f'body[data-shown="{route or "#/"}"]' if route else "body[data-shown]")
    wait(lambda: shown.count() == 1, timeout)
    assert page.locator("#status").text_content() == "", page.locator("#status").text_content()


def show(page, route: str):
    """Go to another screen in the same page (hash routing, no reload)."""
    page.evaluate("(route) => { location.hash = route; }", route)
    ready(page, route)


def controlled(page, timeout: float = 15):
    """The service worker controls the page (it caches for offline use from now on)."""
    wait(lambda: page.evaluate("Boolean(navigator.serviceWorker.controller)"), timeout)
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")


@pytest.fixture(scope="module")
def demo(stack):
    runtime, _ = stack
    return runtime.demo_result["event_id"], runtime.demo_result["session_ids"][0]


@pytest.fixture(scope="module")
def alice(browser, stack, demo):
    member = Member(browser, stack, f"alice_{uuid.uuid4().hex[:6]}")
    event_id, _ = demo
    page = member.page(f"#/events/{event_id}")
    page.click("#join")
    wait(lambda: page.locator("#join").inner_text() == "Leave the event")
    page.close()
    yield member
    member.close()


@pytest.fixture(scope="module")
def organiser(browser, stack):
    member = Member(browser, stack, "demo-organiser", organiser=True, viewport=DESKTOP)
    yield member
    member.close()


@pytest.fixture(scope="module")
def remote(browser, stack):
    """A visitor who is not signed in."""
    member = Member(browser, stack, None, viewport=DESKTOP)
    yield member
    member.close()


def api_get(stack, path, token=None):
    _, base_url = stack
    reply = http("GET", f"{base_url}{path}", token=token)
    assert reply.status == 200, reply.body
    return reply.json


def test_join_post_and_see_it_live_on_an_anonymous_page(demo, alice, remote):
    event_id, _ = demo
    watcher = remote.page(f"#/events/{event_id}")
    watcher.evaluate("window.__notReloaded = true")
    page = alice.page(f"#/events/{event_id}")
    text = f"Hello from the web app {uuid.uuid4().hex[:8]} #LAWW26"
    page.fill("#post-text", text)
    page.click("#post-form button[type=submit]")
    wait(lambda: page.locator("#post-state").inner_text() == "Posted.")
    arrived = watcher.locator("#feed > li.post", has_text=text)
    wait(lambda: arrived.count() > 0)
    assert arrived.count() == 1, (
        f"not live on the remote page (live mode: {watcher.inner_text('#live-mode')})"
    )
    assert watcher.evaluate("window.__notReloaded") is True
    assert remote.errors == [] and alice.errors == []
    watcher.close()
    page.close()


def test_a_reply_to_a_deleted_post_says_it_answers_a_removed_post(stack, demo, alice, remote):
    """A conversation stays readable when its first post is gone (deleted, hidden or erased)."""
    event_id, _ = demo
    _, base_url = stack
    token = alice.user["token"]
    posts = f"{base_url}/events/{event_id}/posts"
    first = http("POST", posts, token=token, json_body={"text": f"to be deleted {uuid.uuid4().hex[:6]}"}).json
    kept = http("POST", posts, token=token, json_body={"text": f"kept {uuid.uuid4().hex[:6]}"}).json
    answers = [
        http(
            "POST",
            posts,
            token=token,
            json_body={"text": f"re {n} {uuid.uuid4().hex[:6]}", "inReplyTo": parent},
        )
        for n, parent in enumerate((first["id"], kept["id"]))
    ]
    assert [a.status for a in answers] == [201, 201], answers
    assert http("DELETE", f"{base_url}/posts/{first['id']}", token=token).status == 204

    page = remote.page(f"#/events/{event_id}")
    orphan = page.locator(f'#feed li[data-post-id="{answers[0].json["id"]}"] .reply-to')
    answer = page.locator(f'#feed li[data-post-id="{answers[1].json["id"]}"] .reply-to')
    wait(lambda: orphan.text_content() == "In reply to a removed post")
    wait(lambda: answer.text_content().startswith("In reply to ") and "removed" not in answer.text_content())
    page.close()


def test_a_note_edited_in_two_tabs_offers_the_choice_and_keeps_mine(stack, demo, alice):
    _, session_id = demo
    first = alice.page(f"#/sessions/{session_id}")
    editor = first.locator("#my-notes form.note-editor").first
    editor.locator("input[name=title]").fill("Two tabs")
    editor.locator("textarea[name=body]").fill("Written in the first tab.")
    editor.locator("button[type=submit]").click()
    wait(lambda: "version 1" in editor.locator(".note-state").inner_text())
    note_id = editor.get_attribute("data-note-id")

    second = alice.page(f"#/sessions/{session_id}")
    other = second.locator(f'#my-notes form.note-editor[data-note-id="{note_id}"]')
    assert other.locator("textarea[name=body]").input_value() == "Written in the first tab."

    editor.locator("textarea[name=body]").fill("The first tab changed it.")
    editor.locator("button[type=submit]").click()
    wait(lambda: "version 2" in editor.locator(".note-state").inner_text())

    other.locator("textarea[name=body]").fill("The second tab's words.")
    other.locator("button[type=submit]").click()
    conflict = second.locator(".note.mine .conflict")
    wait(lambda: conflict.is_visible())
    assert conflict.is_visible(), other.locator(".note-state").inner_text()
    assert "The first tab changed it." in conflict.locator("pre.theirs").inner_text()
    assert "The second tab's words." in conflict.locator("pre.mine-text").inner_text()
    conflict.locator("button.keep-mine").click()
    wait(lambda: "version 3" in other.locator(".note-state").inner_text())

    note = api_get(stack, f"/notes/{note_id}", alice.user["token"])
    assert note["body"] == "The second tab's words." and note["version"] >= 3
    assert alice.errors == []
    first.close()
    second.close()


def test_offline_posts_and_a_note_survive_a_reload_and_reach_the_server_once(stack, demo, alice):
    _, session_id = demo
    page = alice.page(f"#/sessions/{session_id}")
    controlled(page)
    page.reload()  # every file and read of this screen now passes through the service worker
    ready(page, f"#/sessions/{session_id}")
    tag = uuid.uuid4().hex[:8]
    texts = [f"Offline one {tag}", f"Offline two {tag}"]

    alice.context.set_offline(True)
    for text in texts:
        page.fill("#post-text", text)
        page.click("#post-form button[type=submit]")
        wait(lambda: page.locator("#post-text").input_value() == "")
    page.click("#new-note")
    editor = page.locator("#my-notes form.note-editor").last
    editor.locator("textarea[name=body]").fill(f"Offline note {tag}")
    editor.locator("button[type=submit]").click()
    wait(lambda: page.locator("#outbox-count").inner_text() == "3 waiting to send")
    assert page.locator("#outbox-count").inner_text() == "3 waiting to send"

    page.reload()  # no network: the app, the session and the outbox come from this device
    ready(page, f"#/sessions/{session_id}")
    assert page.locator("#outbox-count").inner_text() == "3 waiting to send"
    assert page.locator("#feed li.pending").count() == 2
    assert (
        page.locator("#my-notes textarea[name=body]")
        .evaluate_all("(all) => all.map((t) => t.value)")
        .count(f"Offline note {tag}")
        == 1
    )

    alice.context.set_offline(False)
    wait(lambda: page.locator("#outbox-count").inner_text() == "")
    assert page.locator("#outbox-count").inner_text() == ""

    posts = api_get(stack, f"/sessions/{session_id}/posts?limit=100")["items"]
    for text in texts:
        assert [p["text"] for p in posts].count(text) == 1, text
    notes = api_get(stack, f"/sessions/{session_id}/notes", alice.user["token"])["items"]
    assert [n["body"] for n in notes].count(f"Offline note {tag}") == 1
    wait(lambda: page.locator("#feed li.pending").count() == 0)
    assert page.locator("#feed li.pending").count() == 0
    assert alice.errors == []
    page.close()


def test_an_organiser_publishes_a_summary_and_a_remote_page_shows_it_without_a_reload(
    demo, organiser, remote
):
    _, session_id = demo
    watcher = remote.page(f"#/sessions/{session_id}")
    watcher.evaluate("window.__notReloaded = true")
    page = organiser.page(f"#/sessions/{session_id}")
    words = f"What we learnt {uuid.uuid4().hex[:8]}"
    page.fill("#summary-text", f"## Take-aways\n\n- **{words}**\n- share early")
    assert words in page.locator("#summary-preview strong").inner_text()  # the preview, before saving
    page.click("#summary-publish")
    wait(lambda: "Published version" in page.locator("#summary-form .form-state").inner_text())
    shown = watcher.locator("#summary-body")
    wait(lambda: words in (shown.all_inner_texts() or [""])[0])
    assert words in (shown.all_inner_texts() or [""])[0], f"live mode: {watcher.inner_text('#live-mode')}"
    assert watcher.evaluate("window.__notReloaded") is True
    assert remote.errors == [] and organiser.errors == []
    watcher.close()
    page.close()


def test_a_personal_pack_is_built_with_progress_and_downloaded(stack, demo, alice):
    event_id, _ = demo
    page = alice.page(f"#/events/{event_id}")
    controlled(page)
    page.click("#personal-pack-build")
    html = page.locator("#personal-pack-list [data-format=html]")
    wait(lambda: html.count() > 0, timeout=90)
    assert html.count() == 1, page.locator("#my-pack").inner_text()
    formats = page.locator("#personal-pack-list [data-format]").evaluate_all(
        "(all) => all.map((b) => b.dataset.format)"
    )
    assert sorted(formats) == ["epub", "html", "json", "md"]
    with page.expect_download(timeout=20_000) as caught:
        html.click()
    download = caught.value
    assert download.suggested_filename.endswith(".html")
    body = Path(download.path()).read_text(encoding="utf-8")
    assert "Learning at Work Week" in body
    with page.expect_download(timeout=20_000) as caught:
        page.click("#personal-pack-list [data-format=json]")
    assert json.loads(Path(caught.value.path()).read_text(encoding="utf-8"))
    assert alice.errors == []
    page.close()


def test_a_member_downloads_their_data_as_a_zip_from_their_page(stack, demo, alice):
    """Issue 15's export, as a member does it: the button, its progress, then the zip's link."""
    event_id, _ = demo
    _, base_url = stack
    text = f"mine to keep {uuid.uuid4().hex[:8]}"
    posted = http(
        "POST", f"{base_url}/events/{event_id}/posts", token=alice.user["token"], json_body={"text": text}
    )
    assert posted.status == 201, posted.body
    page = alice.page("#/me")
    page.get_by_role("button", name="Download my data").click()
    link = page.locator(".export-state a", has_text="Download the zip")
    wait(lambda: link.count() == 1 or page.locator(".export-state .form-error").count() == 1, timeout=90)
    assert link.count() == 1, page.locator(".export-state").inner_text()
    with page.expect_download(timeout=20_000) as caught:
        link.click()
    with zipfile.ZipFile(caught.value.path()) as export:
        names = export.namelist()
        document = json.loads(export.read("export.json"))
    assert {"export.json", "export.md"} <= set(names)
    assert text in [p["text"] for p in document["posts"]]
    assert alice.errors == []
    page.close()


def test_every_main_screen_passes_axe_and_is_screenshotted(demo, alice, organiser, remote):
    from axe_playwright_python.sync_playwright import Axe

    event_id, session_id = demo
    SHOTS.mkdir(parents=True, exist_ok=True)
    anonymous = remote
    screens = [
        ("events", anonymous, "#/"),
        ("event-remote", anonymous, f"#/events/{event_id}"),
        ("session-remote", anonymous, f"#/sessions/{session_id}"),
        ("event-attendee", alice, f"#/events/{event_id}"),
        ("session-attendee", alice, f"#/sessions/{session_id}"),
        ("me", alice, "#/me"),
        ("events-organiser", organiser, "#/"),
        ("event-organiser", organiser, f"#/events/{event_id}"),
        ("session-organiser", organiser, f"#/sessions/{session_id}"),
    ]
    axe = Axe()
    found = {}
    pages = {}
    for name, member, route in screens:
        if member not in pages:
            pages[member] = member.page(route)
            pages[member].set_viewport_size(PHONE)
        page = pages[member]
        show(page, route)
        for details in page.locator("details").all():
            details.evaluate("(d) => { d.open = true; }")
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in axe.run(page).response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if violations:
            found[name] = violations
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        page.screenshot(path=str(SHOTS / f"{name}-360px.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(SHOTS / f"{name}-1280px.png"), full_page=True)
        page.set_viewport_size(PHONE)
    print(f"screenshots: {SHOTS}")
    assert found == {}
    assert organiser.errors == [] and anonymous.errors == [] and alice.errors == []
    for page in pages.values():
        page.close()
