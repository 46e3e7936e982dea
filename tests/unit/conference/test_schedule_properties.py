"""No document crashes the importer: whatever it is given, reading answers entries or a
``ScheduleInvalid`` naming what is wrong, never another exception."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backchannel.conference.schedule import plan
from backchannel.conference.schedule.entries import ScheduleInvalid
from tests.support.fakes import an_event

EVENT = an_event(starts_on=dt.date(2026, 3, 28), ends_on=dt.date(2026, 3, 29), timezone="Europe/Berlin")
FORMATS = ("auto", "frab-json", "frab-xml", "ical")
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def answers(fmt: str, text: str) -> None:
    problems, entries = None, []
    try:
        entries = plan.read(fmt, text, EVENT)[1]
    except ScheduleInvalid as err:
        problems = err.problems
    if problems is not None:
        assert problems and all(p.entry and p.field and p.message for p in problems)
        return
    for entry in entries:  # what is read is what the sessions API would accept
        assert entry.external_id and entry.title and entry.starts_at.tzinfo is not None
        assert entry.starts_at < entry.ends_at


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
talk_fields = st.sampled_from(
    [
        "guid",
        "id",
        "date",
        "start",
        "duration",
        "room",
        "title",
        "track",
        "abstract",
        "persons",
        "links",
        "url",
    ]
)
field_values = st.one_of(
    json_values,
    st.sampled_from(["00:30", "25:99", "2026-03-28T10:00:00+01:00", "2026-03-28T10:00:00", "x", "", "-1:00"]),
)


@SETTINGS
@given(st.sampled_from(FORMATS), st.text(max_size=400))
def test_any_text_in_any_format(fmt, text):
    answers(fmt, text)


@SETTINGS
@given(json_values)
def test_any_json_value(value):
    answers("frab-json", json.dumps(value))


@SETTINGS
@given(st.lists(st.dictionaries(talk_fields, field_values, max_size=12), max_size=4), json_values)
def test_a_schedule_shape_with_any_talk_fields(talks, day_date):
    doc = {"schedule": {"conference": {"days": [{"date": day_date, "rooms": {"Saal 1": talks}}]}}}
    answers("frab-json", json.dumps(doc))


xml_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)


@SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from(["date", "start", "duration", "title", "room", "x"]), xml_text), max_size=8
    )
)
def test_a_frab_xml_shape_with_any_fields(fields):
    from xml.sax.saxutils import escape, quoteattr

    inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields)
    text = f"<schedule><day date={quoteattr('2026-03-28')}><room name='A'><event guid='g'>{inner}</event></room></day></schedule>"
    answers("frab-xml", text)


ical_lines = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "UID",
                "SUMMARY",
                "DTSTART",
                "DTEND",
                "DURATION",
                "DTSTART;TZID=Europe/Berlin",
                "DTSTART;VALUE=DATE",
                "DTEND;VALUE=DATE",
                "RRULE",
                "RDATE",
                "EXDATE",
                "RECURRENCE-ID",
                "STATUS",
                "X",
            ]
        ),
        st.one_of(
            st.sampled_from(
                [
                    "20260328T100000",
                    "20260328T100000Z",
                    "PT1H",
                    "P1D",
                    "20260328",
                    "20260329",
                    "-PT1H",
                    "FREQ=DAILY;COUNT=3",
                    "FREQ=WEEKLY;BYDAY=SA,SU;UNTIL=20260330T000000Z",
                    "FREQ=HOURLY",
                    "CANCELLED",
                ]
            ),
            xml_text,
        ),
    ),
    max_size=8,
)


@SETTINGS
@given(ical_lines)
def test_an_icalendar_shape_with_any_properties(lines):
    body = "\r\n".join(f"{name}:{value.replace(chr(13), '').replace(chr(10), '')}" for name, value in lines)
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n{body}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    answers("ical", text)
