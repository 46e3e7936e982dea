"""Feeds through the real handler on moto: what a feed reader or a calendar app would receive."""

from __future__ import annotations

import datetime as dt

import feedparser
import icalendar
import pytest


def _feed(reply):
    assert reply.status == 200, reply
    assert reply.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(reply.body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def test_event_feed_has_the_latest_posts_newest_first(api, event, alice):
    for text in ("first <script>alert(1)</script> & more", "second #LAWW post", "third post"):
        assert api.post(f"/events/{event['id']}/posts", {"text": text}, as_=alice).status == 201

    reply = api.get(f"/events/{event['id']}/feed.atom")
    parsed = _feed(reply)

    assert reply.headers["cache-control"] == "public, max-age=60"
    assert reply.headers["etag"].startswith('"')
    assert parsed.feed.title == "Learning at Work Week (#LAWW)"
    assert parsed.feed.id == f"urn:backchannel:event:{event['id']}:posts"
    texts = [e.content[0].value for e in parsed.entries]
    assert texts == ["third post", "second #LAWW post", "first <script>alert(1)</script> & more"]
    first = parsed.entries[0]
    assert first.id.startswith("urn:backchannel:post:")
    assert first.author == "alice"
    assert first.content[0].type == "text/plain"
    (link,) = [x for x in first.links if x.rel == "alternate"]
    assert link.href == f"https://localapi01.execute-api.us-east-1.amazonaws.com/posts/{first.id[21:]}"
    assert link.type == "application/json"
    assert parsed.feed.updated == first.updated


def test_an_unchanged_feed_answers_304_without_a_body(api, event, alice):
    api.post(f"/events/{event['id']}/posts", {"text": "hello"}, as_=alice)
    path = f"/events/{event['id']}/feed.atom"
    etag = api.get(path).headers["etag"]

    for header in (etag, f'"other", {etag}', "*", f"W/{etag}"):
        reply = api.get(path, headers={"If-None-Match": header})
        assert reply.status == 304, header
        assert reply.body == b""
        assert reply.headers["etag"] == etag

    api.post(f"/events/{event['id']}/posts", {"text": "news"}, as_=alice)
    changed = api.get(path, headers={"If-None-Match": etag})
    assert changed.status == 200
    assert changed.headers["etag"] != etag


def test_session_feed_has_the_summary_and_only_public_notes(api, event, session, olga, alice):
    sid = session["id"]
    api.post(f"/events/{event['id']}/attendance", as_=alice)
    for visibility in ("public", "attendees", "private"):
        body = {"title": f"{visibility} note", "body": f"{visibility} words", "visibility": visibility}
        assert api.post(f"/sessions/{sid}/notes", body, as_=alice).status == 201, visibility
    summary = {"body": "# Takeaways\n\n* networks > courses", "status": "published"}
    assert api.request("PUT", f"/sessions/{sid}/summary", json_body=summary, as_=olga).status == 200
    draft = {"body": "secret draft", "status": "draft"}
    api.request("PUT", f"/sessions/{sid}/summary", json_body=draft, as_=olga)

    parsed = _feed(api.get(f"/sessions/{sid}/feed.atom"))

    by_id = {e.id: e for e in parsed.entries}
    assert set(by_id) == {f"urn:backchannel:summary:{sid}", *(i for i in by_id if ":note:" in i)}
    assert by_id[f"urn:backchannel:summary:{sid}"].content[0].value == summary["body"]
    notes = [e for e in parsed.entries if ":note:" in e.id]
    assert [n.title for n in notes] == ["public note"]
    assert b"attendees words" not in api.get(f"/sessions/{sid}/feed.atom").body
    assert b"private words" not in api.get(f"/sessions/{sid}/feed.atom").body
    assert b"secret draft" not in api.get(f"/sessions/{sid}/feed.atom").body


def test_session_feed_without_summary_or_notes_is_an_empty_valid_feed(api, session):
    parsed = _feed(api.get(f"/sessions/{session['id']}/feed.atom"))
    assert parsed.entries == []
    assert parsed.feed.title.startswith("Opening keynote")


def test_schedule_is_icalendar_in_the_event_time_zone(api, event, make_session):
    make_session(event, hour=9, title="Opening, keynote; with \\ and a long title " + "x" * 100)
    make_session(event, day=1, hour=14, title="Workshop", room="Room 2", track="Hands-on")

    reply = api.get(f"/events/{event['id']}/schedule.ics")

    assert reply.status == 200, reply
    assert reply.headers["content-type"] == "text/calendar; charset=utf-8"
    assert all(len(line) <= 75 for line in reply.body.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(reply.body)
    assert str(cal["version"]) == "2.0"
    assert str(cal["x-wr-calname"]) == "Learning at Work Week"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    vevents = cal.walk("VEVENT")
    assert len(vevents) == 2
    first, second = vevents
    assert str(first["summary"]).startswith("Opening, keynote; with \\ and")
    assert first["dtstart"].params["TZID"] == "Europe/London"
    start = first["dtstart"].dt
    assert start.tzinfo is not None
    assert start.astimezone(dt.UTC).hour == 9  # the session was created at 09:00 UTC
    assert str(second["uid"]).endswith("@backchannel")
    assert str(second["location"]) == "Room 2"
    assert "Speakers: Jane Hart" in str(second["description"])
    assert [str(c) for c in second["categories"].cats] == ["Hands-on"]


def test_schedule_304_and_an_empty_schedule(api, event):
    path = f"/events/{event['id']}/schedule.ics"
    first = api.get(path)
    cal = icalendar.Calendar.from_ical(first.body)
    assert cal.walk("VEVENT") == []
    assert len(cal.walk("VTIMEZONE")) == 1
    assert api.get(path, headers={"If-None-Match": first.headers["etag"]}).status == 304


@pytest.mark.parametrize(
    "path",
    [
        "/events/01J0000000000000000000NONE/feed.atom",
        "/events/01J0000000000000000000NONE/schedule.ics",
        "/sessions/01J0000000000000000000NONE/feed.atom",
    ],
)
def test_unknown_ids_are_404_problems(api, path):
    reply = api.get(path)
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/problem+json"


def test_private_events_are_not_found_even_for_their_organiser(api, olga, make_event, make_session):
    private = make_event(hashtag="secret", visibility="private")
    session = make_session(private)
    for path in (
        f"/events/{private['id']}/feed.atom",
        f"/events/{private['id']}/schedule.ics",
        f"/sessions/{session['id']}/feed.atom",
    ):
        assert api.get(path).status == 404, path
        assert api.get(path, as_=olga).status == 404, path  # feeds are anonymous: no token counts


def test_unlisted_events_are_served_to_whoever_has_the_link(api, make_event, alice):
    unlisted = make_event(hashtag="quiet", visibility="unlisted")
    api.post(f"/events/{unlisted['id']}/posts", {"text": "psst"}, as_=alice)
    parsed = _feed(api.get(f"/events/{unlisted['id']}/feed.atom"))
    assert [e.content[0].value for e in parsed.entries] == ["psst"]
