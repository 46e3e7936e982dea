"""Capture end to end through the local runtime: an organiser sets up an event and a session, an
attendee joins, posts and writes notes, the organiser publishes a summary; the domain events reach the
bus (seen at ``GET /_local/events``) without anything of the private note, and the public reads show
what they should."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.support.flows import (
    attend,
    create_event,
    create_note,
    create_post,
    create_session,
    member_token,
)
from tests.support.runtime import http

pytestmark = pytest.mark.flow

PRIVATE_BODY = "my private thought: the keynote ran long (flow-private-7c1e)"
PUBLIC_BODY = "Networks beat courses: slides at example.org (flow-public-3a9d)"
SUMMARY_BODY = "Jane argued for learning in the flow of work (flow-summary-5b2f)"


def _bus_events(base: str, after: str | None = None) -> tuple[list[dict], str]:
    reply = http("GET", f"{base}/_local/events" + (f"?after={after}" if after else ""))
    assert reply.status == 200, reply.body
    return reply.json["items"], reply.body.decode()


def _one(items: list[dict], detail_type: str, **detail: str) -> dict:
    found = [
        i
        for i in items
        if i["detailType"] == detail_type and all(i["detail"].get(k) == v for k, v in detail.items())
    ]
    assert len(found) == 1, (detail_type, detail, [i["detailType"] for i in items])
    assert found[0]["source"] == "backchannel"
    return found[0]


@pytest.fixture(scope="module")
def captured(stack):
    """Everything the scenario did, once for the module: ids, and the bus's events since it began."""
    runtime, base = stack
    runtime.pumps.drain()  # the demo's own events are on the bus already: start after them
    before, _ = _bus_events(base)
    marker = before[-1]["id"] if before else None

    organiser = member_token(runtime, "capture_olga", organiser=True)
    attendee = member_token(runtime, "capture_ana")
    start = dt.date.today() + dt.timedelta(days=1)
    event = create_event(
        base, organiser, "Capture Camp", "capcamp", starts_on=start, days=2, visibility="public"
    )
    event_id = event.json["id"]
    session_id = create_session(
        base, organiser, event_id, "Keynote", f"{start}T09:00:00+00:00", f"{start}T10:00:00+00:00"
    ).json["id"]

    attendee_id = attend(base, attendee, event_id).json["memberId"]
    post_id = create_post(base, attendee, event_id, "Hello #capcamp").json["id"]
    notes = {
        visibility: create_note(base, attendee, session_id, body, visibility).json["id"]
        for visibility, body in (("public", PUBLIC_BODY), ("private", PRIVATE_BODY))
    }
    r = http(
        "PUT",
        f"{base}/sessions/{session_id}/summary",
        token=organiser,
        json_body={"body": SUMMARY_BODY, "status": "published"},
    )
    assert r.status == 200, r.body

    runtime.pumps.drain()  # the stream router has read every change and put its events
    items, raw = _bus_events(base, marker)
    return {
        "base": base,
        "event": event_id,
        "session": session_id,
        "attendee": attendee_id,
        "post": post_id,
        "notes": notes,
        "items": items,
        "raw": raw,
    }


def test_each_step_reached_the_bus_as_its_domain_event(captured):
    items, event_id, session_id = captured["items"], captured["event"], captured["session"]

    created = _one(items, "EventCreated", id=event_id)
    assert created["detail"]["name"] == "Capture Camp"
    assert f"event/{event_id}" in created["resources"]
    _one(items, "SessionCreated", id=session_id, eventId=event_id)
    _one(items, "MemberJoinedEvent", eventId=event_id, memberId=captured["attendee"])
    post = _one(items, "PostCreated", id=captured["post"], eventId=event_id)
    assert post["detail"]["authorId"] == captured["attendee"]
    assert post["detail"]["text"] == "Hello #capcamp"
    shared = _one(items, "NoteShared", id=captured["notes"]["public"], sessionId=session_id, eventId=event_id)
    assert shared["detail"]["visibility"] == "public"
    published = _one(items, "SummaryPublished", sessionId=session_id, eventId=event_id)
    assert published["detail"]["version"] == 1


def test_the_bus_lists_them_newest_last(captured):
    kinds = [i["detailType"] for i in captured["items"]]
    order = [
        "EventCreated",
        "SessionCreated",
        "MemberJoinedEvent",
        "PostCreated",
        "NoteShared",
        "SummaryPublished",
    ]
    assert [k for k in kinds if k in order] == order  # one of each, in the order they were written
    times = [i["time"] for i in captured["items"]]
    assert times == sorted(times)


def test_nothing_of_the_private_note_left_the_table(captured):
    private_id = captured["notes"]["private"]
    assert not [i for i in captured["items"] if i["detail"].get("id") == private_id]
    assert private_id not in captured["raw"]
    assert PRIVATE_BODY not in captured["raw"]
    # events are notifications: no note's body and no summary's body travels at all
    assert PUBLIC_BODY not in captured["raw"]
    assert SUMMARY_BODY not in captured["raw"]


def test_the_public_feed_shows_the_post(captured):
    r = http("GET", f"{captured['base']}/events/{captured['event']}/posts")
    assert r.status == 200, r.body
    assert [(p["id"], p["text"]) for p in r.json["items"]] == [(captured["post"], "Hello #capcamp")]


def test_anonymous_readers_see_only_the_public_note(captured):
    r = http("GET", f"{captured['base']}/sessions/{captured['session']}/notes")
    assert r.status == 200, r.body
    assert [n["id"] for n in r.json["items"]] == [captured["notes"]["public"]]
    assert PRIVATE_BODY not in json.dumps(r.json)
