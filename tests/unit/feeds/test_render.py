"""Rendering feeds: pure functions from domain records to bytes a feed reader or calendar accepts."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import feedparser
import icalendar
import pytest

from backchannel.capture.model import Note, Post, Summary
from backchannel.conference.model import Event, Session, Speaker
from backchannel.feeds import base_url, etag, not_modified
from backchannel.feeds.atom import event_feed, session_feed, title_of, xml_text
from backchannel.feeds.ical import ical_text, schedule
from tests.support.fakes import a_session, an_event

A = "{http://www.w3.org/2005/Atom}"
NASTY = "<script>alert('x')</script> & \"quotes\" ]]> \x00\x01\x08\x0b\x0c\x1b\x7f\x85 \ud800 \ufffe end"


def make_event(**kw) -> Event:
    """A London event across the clock change, with markup in its name and a control character in its
    description."""
    fields = dict(
        name="Learning & <Work> Week",
        hashtag="LAWW",
        starts_on=dt.date(2030, 3, 29),
        ends_on=dt.date(2030, 3, 31),
        timezone="Europe/London",
        updated_at="2030-01-02T00:00:00.000Z",
        description="Networked\x00 for learning",
    )
    return an_event("01EVENT", **{**fields, **kw})


def make_post(i: int, text: str = "hello") -> Post:
    return Post(
        id=f"01POST{i}",
        event_id="01EVENT",
        author_id="alice",
        author_name="Alice <admin> & co",
        text=text,
        created_at=f"2030-03-29T09:0{i}:00.000Z",
        seq=f"SEQ{i}",
        hashtags=["LAWW"],
    )


def make_session(**kw) -> Session:
    fields = dict(
        title="Opening keynote",
        starts_at=dt.datetime(2030, 3, 30, 9, 0, tzinfo=dt.UTC),  # BST from 31 March: still GMT here
        ends_at=dt.datetime(2030, 3, 30, 9, 45, tzinfo=dt.UTC),
        created_at="2030-01-03T00:00:00.000Z",
        updated_at="2030-01-04T00:00:00.000Z",
        abstract="Why we learn in networks",
        speakers=[Speaker("Jane Hart"), Speaker("Harold Jarche")],
        room="Main hall",
        track="Plenary",
    )
    return a_session("01SESSION", "01EVENT", **{**fields, **kw})


def make_note(i: int, body: str = "my notes", title: str | None = None) -> Note:
    return Note(
        id=f"01NOTE{i}",
        event_id="01EVENT",
        session_id="01SESSION",
        author_id="alice",
        author_name="Alice",
        body=body,
        visibility="public",
        share_in_packs=True,
        version=1,
        created_at=f"2030-03-30T10:0{i}:00.000Z",
        updated_at=f"2030-03-30T10:1{i}:00.000Z",
        title=title,
    )


def parse(body: bytes):
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    ET.fromstring(body)  # noqa: S314 - our own output: a strict XML parser agrees
    return parsed


# --------------------------------------------------------------------------------------------------
# Atom
# --------------------------------------------------------------------------------------------------


def test_markup_and_ampersands_are_text_not_markup():
    body = event_feed(make_event(), [make_post(1, "<script>alert(1)</script> & <b>bold</b>")])
    assert b"<script>" not in body
    assert b"&lt;script&gt;" in body
    parsed = parse(body)
    assert parsed.feed.title == "Learning & <Work> Week (#LAWW)"
    assert parsed.entries[0].content[0].value == "<script>alert(1)</script> & <b>bold</b>"
    assert parsed.entries[0].author == "Alice <admin> & co"


def test_characters_xml_cannot_carry_are_dropped_everywhere():
    event = make_event(name=NASTY, description=NASTY)
    body = event_feed(event, [make_post(1, NASTY)], base="https://api.example.com")
    parsed = parse(body)
    expected = "<script>alert('x')</script> & \"quotes\" ]]>" + " " * 4 + "end"
    assert parsed.entries[0].content[0].value == expected
    assert not any(ch in body.decode() for ch in "\x00\x01\x08\x0b\x0c\x1b\x7f\x85")


def test_xml_text_keeps_tabs_newlines_and_astral_characters():
    assert xml_text("a\tb\r\nc\n\U0001f389") == "a\tb\nc\n\U0001f389"
    assert xml_text(None) == ""


def test_titles_are_the_first_words_on_one_line():
    assert title_of("one two\nthree") == "one two three"
    assert title_of(" ".join(str(i) for i in range(20))) == "0 1 2 3 4 5 6 7 8 9\u2026"
    assert len(title_of("x" * 500)) == 80
    assert title_of("\x00") == "(untitled)"


def test_event_feed_is_newest_first_with_stable_ids_and_absolute_links():
    posts = [make_post(1, "older"), make_post(3, "newest"), make_post(2, "middle")]
    body = event_feed(make_event(), posts, base="https://api.example.com")
    parsed = parse(body)
    assert [e.content[0].value for e in parsed.entries] == ["newest", "middle", "older"]
    assert parsed.entries[0].id == "urn:backchannel:post:01POST3"
    assert parsed.feed.id == "urn:backchannel:event:01EVENT:posts"
    assert parsed.feed.updated == "2030-03-29T09:03:00.000Z"
    (self_link,) = [x for x in parsed.feed.links if x.rel == "self"]
    assert self_link.href == "https://api.example.com/events/01EVENT/feed.atom"
    assert parsed.entries[0].links[0].href == "https://api.example.com/posts/01POST3"
    assert [t.term for t in parsed.entries[0].tags] == ["LAWW"]


def test_an_event_without_posts_is_updated_when_the_event_was():
    parsed = parse(event_feed(make_event(), []))
    assert parsed.entries == []
    assert parsed.feed.updated == "2030-01-02T00:00:00.000Z"
    (self_link,) = [x for x in parsed.feed.links if x.rel == "self"]
    assert self_link.href == "/events/01EVENT/feed.atom"  # relative when the host is unknown


def test_equal_content_renders_equal_bytes():
    posts = [make_post(1), make_post(2)]
    assert event_feed(make_event(), posts) == event_feed(make_event(), list(reversed(posts)))
    assert etag(event_feed(make_event(), posts)) != etag(event_feed(make_event(), posts[:1]))


def test_session_feed_has_the_summary_as_text_and_the_notes():
    summary = Summary(
        session_id="01SESSION",
        event_id="01EVENT",
        version=3,
        status="published",
        body="# Takeaways\n\n* <networks> & courses",
        author_id="olga",
        updated_at="2030-03-30T12:00:00.000Z",
        published_at="2030-03-30T12:00:00.000Z",
    )
    notes = [make_note(1, "first notes"), make_note(2, "second", title="Titled")]
    parsed = parse(session_feed(make_session(), make_event(), summary, notes))
    assert [e.id for e in parsed.entries] == [
        "urn:backchannel:summary:01SESSION",
        "urn:backchannel:note:01NOTE2",
        "urn:backchannel:note:01NOTE1",
    ]
    assert parsed.entries[0].content[0].value == summary.body
    assert parsed.entries[0].content[0].type == "text/plain"
    assert [e.title for e in parsed.entries[1:]] == ["Titled", "first notes"]
    assert parsed.feed.updated == "2030-03-30T12:00:00.000Z"


def test_session_feed_without_summary():
    parsed = parse(session_feed(make_session(), make_event(), None, []))
    assert parsed.entries == []


# --------------------------------------------------------------------------------------------------
# ETag and If-None-Match
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ('"x","y"', False),
        ("*", True),
        ('"abcd"', False),
    ],
)
def test_if_none_match(header, expected):
    assert not_modified(header, '"abc"') is expected


def test_etags_are_strong_quoted_hashes():
    tag = etag(b"body")
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert tag == etag(b"body") != etag(b"other")


@pytest.mark.parametrize(
    ("domain", "stage", "expected"),
    [
        (
            "abc.execute-api.eu-west-1.amazonaws.com",
            "$default",
            "https://abc.execute-api.eu-west-1.amazonaws.com",
        ),
        ("api.example.org", "prod", "https://api.example.org/prod"),
        ("localhost:3000", None, "http://localhost:3000"),
        ("evil.example/<x>", None, ""),
        (None, None, ""),
    ],
)
def test_base_url(domain, stage, expected):
    assert base_url(domain, stage) == expected


# --------------------------------------------------------------------------------------------------
# iCalendar
# --------------------------------------------------------------------------------------------------


def test_schedule_has_a_vtimezone_and_local_times():
    sessions = [
        make_session(
            id="01LATER",
            starts_at=dt.datetime(2030, 3, 31, 9, tzinfo=dt.UTC),
            ends_at=dt.datetime(2030, 3, 31, 10, tzinfo=dt.UTC),
        ),
        make_session(),
    ]
    body = schedule(make_event(), sessions, base="https://api.example.com")
    assert b"\r\n" in body and b"\n" not in body.replace(b"\r\n", b"")
    cal = icalendar.Calendar.from_ical(body)
    assert str(cal["prodid"]).startswith("-//Backchannel//")
    assert str(cal["x-wr-calname"]) == "Learning & <Work> Week"
    (tz,) = cal.walk("VTIMEZONE")
    assert str(tz["tzid"]) == "Europe/London"
    first, later = cal.walk("VEVENT")
    assert str(first["uid"]) == "01SESSION@backchannel"
    assert b"DTSTART;TZID=Europe/London:20300330T090000" in body  # GMT that day
    assert b"DTSTART;TZID=Europe/London:20300331T100000" in body  # BST from 31 March
    assert later["dtstart"].dt == dt.datetime(2030, 3, 31, 10, tzinfo=ZoneInfo("Europe/London"))
    assert str(first["location"]) == "Main hall"
    assert str(first["description"]) == "Why we learn in networks\n\nSpeakers: Jane Hart, Harold Jarche"
    assert [str(c) for c in first["categories"].cats] == ["Plenary"]
    assert str(first["url"]) == "https://api.example.com/sessions/01SESSION"
    assert first["dtstamp"].dt == dt.datetime(2030, 1, 4, tzinfo=dt.UTC)


def test_long_lines_are_folded_at_75_octets_without_splitting_characters():
    session = make_session(title="\u00e9t\u00e9 " * 60, abstract="\U0001f389" * 100)
    body = schedule(make_event(), [session])
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # no line ends in the middle of a character
    cal = icalendar.Calendar.from_ical(body)
    assert str(cal.walk("VEVENT")[0]["summary"]) == "\u00e9t\u00e9 " * 60


def test_text_values_are_escaped_and_controls_dropped():
    session = make_session(title="a, b; c \\ d\x00\x1b", room="Room\r\n2")
    body = schedule(make_event(), [session])
    assert b"SUMMARY:a\\, b\\; c \\\\ d\r\n" in body
    assert b"\x00" not in body and b"\x1b" not in body
    (vevent,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(vevent["summary"]) == "a, b; c \\ d"
    assert str(vevent["location"]) == "Room\n2"
    assert ical_text("x\ry") == "x\ny"


def test_utc_events_need_no_vtimezone():
    body = schedule(make_event(timezone="UTC"), [make_session()])
    cal = icalendar.Calendar.from_ical(body)
    assert cal.walk("VTIMEZONE") == []
    assert b"DTSTART:20300330T090000Z" in body


def test_a_schedule_without_sessions_still_names_its_time_zone():
    cal = icalendar.Calendar.from_ical(schedule(make_event(timezone="America/New_York"), []))
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]
    assert cal.walk("VEVENT") == []
