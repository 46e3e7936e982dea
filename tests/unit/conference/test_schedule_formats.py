"""Reading schedules: pretalx/frab JSON, frab XML and iCalendar, from small samples of each shape
(``schedules/``), into sessions placed in the event's time zone, across the DST switches; and what a
bad document is told."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backchannel.conference.model import Link, Speaker
from backchannel.conference.schedule import plan
from backchannel.conference.schedule.entries import ScheduleInvalid
from tests.support.fakes import an_event

SAMPLES = Path(__file__).parent / "schedules"
BERLIN = ZoneInfo("Europe/Berlin")
EVENT = an_event(starts_on=dt.date(2026, 3, 28), ends_on=dt.date(2026, 3, 29), timezone="Europe/Berlin")
# spans both DST switches of 2026 in Berlin (29 March and 25 October)
SUMMER = an_event(starts_on=dt.date(2026, 3, 28), ends_on=dt.date(2026, 10, 25), timezone="Europe/Berlin")


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def by_id(entries):
    return {e.external_id: e for e in entries}


def utc(entry):
    return entry.starts_at.astimezone(dt.UTC), entry.ends_at.astimezone(dt.UTC)


def at(y, mo, d, h, mi=0):
    return dt.datetime(y, mo, d, h, mi, tzinfo=dt.UTC)


def problems_of(fmt: str, text: str, event=EVENT) -> list[dict]:
    with pytest.raises(ScheduleInvalid) as caught:
        plan.read(fmt, text, event)
    return [p.to_json() for p in caught.value.problems]


# ---------------------------------------------------------------------------------------------------
# pretalx / frab JSON
# ---------------------------------------------------------------------------------------------------


def test_a_pretalx_schedule_json_gives_every_talk_of_every_day_and_room():
    fmt, entries = plan.read("auto", sample("pretalx_schedule.json"), EVENT)
    assert fmt == "frab-json"
    talks = by_id(entries)
    assert len(talks) == 5
    keynote = talks["0b9a1c3e-5b0d-5c7e-9b1c-000000000001"]
    assert keynote.title == "Opening Keynote"
    assert keynote.abstract == "Why we are here."
    assert keynote.room == "Saal 1" and keynote.track == "Security"
    assert keynote.speakers == [
        Speaker("Ada Lovelace", "https://pretalx.example.org/demo26/speaker/P1/"),
        Speaker("Grace Hopper", None),
    ]
    assert keynote.links == [
        Link("Schedule page", "https://pretalx.example.org/demo26/talk/AAAAAA/"),
        Link("Slides", "https://example.org/slides.pdf"),
    ]
    assert utc(keynote) == (at(2026, 3, 28, 9), at(2026, 3, 28, 9, 45))
    assert keynote.starts_at.tzinfo == BERLIN  # shown in the event's time zone


def test_a_talk_across_midnight_and_one_across_the_spring_switch_last_as_long_as_the_schedule_says():
    talks = by_id(plan.read("frab-json", sample("pretalx_schedule.json"), EVENT)[1])
    night = talks["0b9a1c3e-5b0d-5c7e-9b1c-000000000002"]
    assert utc(night) == (at(2026, 3, 28, 22, 30), at(2026, 3, 28, 23, 30))
    clock = talks["0b9a1c3e-5b0d-5c7e-9b1c-000000000003"]
    # 01:30 CET plus two real hours is 04:30 CEST (wall-clock addition would say 03:30)
    assert utc(clock) == (at(2026, 3, 29, 0, 30), at(2026, 3, 29, 2, 30))
    assert clock.ends_at.isoformat() == "2026-03-29T04:30:00+02:00"
    assert clock.track == "Hardware"  # a track given as an object


def test_odd_but_valid_fields_are_read_leniently():
    talks = by_id(plan.read("frab-json", sample("pretalx_schedule.json"), EVENT)[1])
    odd = talks["frab-id:104"]  # no guid: the numeric id stands in
    assert odd.title == "Lightning Talks"  # line break and spaces folded
    assert odd.abstract == "Line one\nLine two"
    assert odd.room == "Saal 1"  # the room it is listed under
    assert odd.starts_at.isoformat() == "2026-03-29T11:00:00+02:00"  # no date: the day's date + start
    assert [s.name for s in odd.speakers] == ["Radia Perlman", "Frances Allen"]  # nameless left out
    assert odd.links == [Link("https://example.org/lightning", "https://example.org/lightning")]
    panel = talks["0b9a1c3e-5b0d-5c7e-9b1c-000000000005"]
    assert panel.abstract is None and panel.track == "Community"


@pytest.mark.parametrize(
    ("day_start", "day_change", "start", "starts_at"),
    [
        ("2026-03-28T09:00:00+01:00", None, "00:30", "2026-03-29T00:30:00+01:00"),  # before the day's start
        ("2026-03-28T09:00:00+01:00", None, "09:00", "2026-03-28T09:00:00+01:00"),
        (None, "06:00", "05:30", "2026-03-29T05:30:00+02:00"),  # the conference's day_change
        (None, None, "03:59", "2026-03-29T03:59:00+02:00"),  # neither: the day changes at 04:00
        (None, None, "04:00", "2026-03-28T04:00:00+01:00"),
    ],
)
def test_a_talk_after_midnight_without_a_date_is_on_the_next_day(day_start, day_change, start, starts_at):
    doc = json.loads(sample("pretalx_schedule.json"))
    conference = doc["schedule"]["conference"]
    day = conference["days"][0]
    day.pop("day_start")
    if day_start:
        day["day_start"] = day_start
    if day_change:
        conference["day_change"] = day_change
    talk = day["rooms"]["Saal 2"][0]
    del talk["date"]
    talk["start"] = start
    talks = by_id(plan.read("frab-json", json.dumps(doc), EVENT)[1])
    assert talks["0b9a1c3e-5b0d-5c7e-9b1c-000000000002"].starts_at.isoformat() == starts_at


def test_a_frab_xml_talk_after_midnight_is_on_the_next_day_by_the_day_s_start():
    text = sample("frab_schedule.xml").replace(  # day 2 starts at 01:00: 00:45 is the night after it
        "<date>2026-03-29T01:30:00+01:00</date>\n        <start>01:30</start>", "<start>00:45</start>"
    )
    assert "<start>00:45</start>" in text
    talks = by_id(plan.read("frab-xml", text, SUMMER)[1])
    night = talks["0b9a1c3e-5b0d-5c7e-9b1c-000000000003"]
    assert night.starts_at.isoformat() == "2026-03-30T00:45:00+02:00"


def test_a_floating_time_is_in_the_schedule_s_own_time_zone():
    doc = json.loads(sample("pretalx_schedule.json"))
    doc["schedule"]["conference"]["time_zone_name"] = "Europe/London"
    talk = doc["schedule"]["conference"]["days"][0]["rooms"]["Saal 1"][0]
    talk["date"] = "2026-03-28T09:00:00"  # no offset: London time, 10:00 in Berlin
    keynote = plan.read("frab-json", json.dumps(doc), EVENT)[1][0]
    assert keynote.starts_at.isoformat() == "2026-03-28T10:00:00+01:00"


def test_every_problem_of_a_json_schedule_names_the_entry_and_the_field():
    doc = json.loads(sample("pretalx_schedule.json"))
    rooms = doc["schedule"]["conference"]["days"][0]["rooms"]
    rooms["Saal 1"][0]["duration"] = "forty-five"
    rooms["Saal 2"][0]["date"] = "2026-04-01T10:00:00+02:00"  # after the event
    del rooms["Saal 2"][0]["title"]
    found = problems_of("frab-json", json.dumps(doc))
    assert {(p["entry"].split(" (")[0], p["field"]) for p in found} == {
        ('days[0].rooms["Saal 1"][0]', "duration"),
        ('days[0].rooms["Saal 2"][0]', "title"),
    }  # the entry with a bad title is not placed in time: its date is reported once it has one
    assert "guid 0b9a1c3e-5b0d-5c7e-9b1c-000000000001" in found[0]["entry"]
    rooms["Saal 1"][0]["duration"] = "00:45"
    rooms["Saal 2"][0]["title"] = "Night Session"
    (outside,) = problems_of("frab-json", json.dumps(doc))
    assert outside["field"] == "date" and "outside the event (2026-03-28 to 2026-03-29" in outside["message"]


def test_the_same_guid_twice_is_refused():
    doc = json.loads(sample("pretalx_schedule.json"))
    rooms = doc["schedule"]["conference"]["days"][0]["rooms"]
    rooms["Saal 2"][0]["guid"] = rooms["Saal 1"][0]["guid"]
    (dup,) = problems_of("frab-json", json.dumps(doc))
    assert dup["field"] == "guid" and 'days[0].rooms["Saal 1"][0]' in dup["message"]


@pytest.mark.parametrize(
    ("text", "field", "says"),
    [
        ('{"schedule": {"conference": {"days": [', "content", "line 1 column 39"),
        ('{"schedule": {}}', "schedule.conference.days", "is required"),
        ("[" * 100_000 + "]" * 100_000, "content", "nested too deeply"),
    ],
)
def test_a_malformed_json_document_is_refused_with_the_position(text, field, says):
    (problem,) = problems_of("frab-json", text)
    assert problem["entry"] == "document" and problem["field"] == field and says in problem["message"]


# ---------------------------------------------------------------------------------------------------
# frab XML
# ---------------------------------------------------------------------------------------------------


def test_a_frab_xml_schedule_reads_as_the_json_one_does():
    fmt, entries = plan.read("auto", sample("frab_schedule.xml"), EVENT)
    assert fmt == "frab-xml"
    talks = by_id(entries)
    keynote = talks["0b9a1c3e-5b0d-5c7e-9b1c-000000000001"]
    assert keynote.abstract == "Why we are here & what comes next."
    assert [s.name for s in keynote.speakers] == ["Ada Lovelace", "Grace Hopper"]
    assert keynote.links[1] == Link("Slides", "https://example.org/slides.pdf")
    assert utc(talks["0b9a1c3e-5b0d-5c7e-9b1c-000000000003"]) == (
        at(2026, 3, 29, 0, 30),
        at(2026, 3, 29, 2, 30),
    )
    lightning = talks["frab-id:104"]
    assert lightning.room == "Saal 2" and lightning.starts_at.isoformat() == "2026-03-29T11:00:00+02:00"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("<schedule><day><room name='x'><event>", "not well-formed XML: no element found at line 1"),
        ('<!DOCTYPE s [<!ENTITY a "aaaa">]><schedule>&a;</schedule>', "refused"),
        ('<!DOCTYPE schedule SYSTEM "file:///etc/passwd"><schedule/>', "refused"),
        ("<calendar/>", "<schedule> as its root"),
    ],
)
def test_bad_or_dangerous_xml_is_refused(text, says):
    (problem,) = problems_of("frab-xml", text)
    assert problem["field"] == "content" and says in problem["message"]


# ---------------------------------------------------------------------------------------------------
# iCalendar
# ---------------------------------------------------------------------------------------------------


def test_an_icalendar_file_places_tzid_utc_and_floating_times_across_both_dst_switches():
    fmt, entries = plan.read("auto", sample("dst_berlin.ics"), SUMMER)
    assert fmt == "ical"
    talks = by_id(entries)
    assert "cancelled@demo26.example.org" not in talks  # a cancelled entry is left out
    spring = talks["spring-forward@demo26.example.org"]
    assert utc(spring) == (at(2026, 3, 29, 0, 30), at(2026, 3, 29, 1, 30))  # 01:30 CET to 03:30 CEST
    assert (spring.room, spring.track) == ("Saal 1", "Hardware")
    assert spring.links == [Link("Schedule page", "https://demo26.example.org/talks/spring")]
    fall = talks["fall-back@demo26.example.org"]  # 01:30 CEST for two real hours: 02:30 CET
    assert utc(fall) == (at(2026, 10, 24, 23, 30), at(2026, 10, 25, 1, 30))
    assert fall.ends_at.isoformat() == "2026-10-25T02:30:00+01:00"
    assert utc(talks["utc@demo26.example.org"]) == (at(2026, 7, 10, 8), at(2026, 7, 10, 9))
    floating = talks["floating@demo26.example.org"]  # floating: the event's time zone
    assert floating.starts_at.isoformat() == "2026-07-10T14:00:00+02:00"
    assert floating.abstract == "Line one\nLine two"


def test_icalendar_entries_that_are_not_sessions_are_refused_by_uid_and_property():
    text = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//t//t//EN
BEGIN:VEVENT
UID:no-day
DTSTART;VALUE=DATE:20260710
DTEND;VALUE=DATE:20260710
SUMMARY:Not even a day
END:VEVENT
BEGIN:VEVENT
UID:hourly
DTSTART:20260710T100000Z
DTEND:20260710T110000Z
RRULE:FREQ=HOURLY
SUMMARY:Every hour
END:VEVENT
BEGIN:VEVENT
DTSTART:20260710T100000Z
SUMMARY:No uid and no end
END:VEVENT
END:VCALENDAR
"""
    found = {(p["entry"], p["field"]) for p in problems_of("ical", text, SUMMER)}
    assert found == {
        ('VEVENT[1] (UID no-day, "Not even a day")', "DTEND"),
        ('VEVENT[2] (UID hourly, "Every hour")', "RRULE"),
        ('VEVENT[3] ("No uid and no end")', "UID"),
        ('VEVENT[3] ("No uid and no end")', "DTEND"),
    }


# the recurring sample's event: Friday 27 to Monday 30 March 2026 in Berlin, over the spring switch
EASTER = an_event(starts_on=dt.date(2026, 3, 27), ends_on=dt.date(2026, 3, 30), timezone="Europe/Berlin")


def test_recurring_entries_are_expanded_within_the_event_each_occurrence_a_session_of_its_own():
    talks = by_id(plan.read("auto", sample("recurring_berlin.ics"), EASTER)[1])
    briefing = {k: v for k, v in talks.items() if k.startswith("briefing@")}
    # daily from the 20th, ten times: the 27th, 28th (an EXDATE) and 29th fall in the event; the 29th
    # is replaced by its RECURRENCE-ID entry; 09:00 stays 09:00 on the clock across the switch
    assert sorted(briefing) == [
        "briefing@demo26.example.org#20260327T080000Z",
        "briefing@demo26.example.org#20260329T070000Z",
    ]
    friday = briefing["briefing@demo26.example.org#20260327T080000Z"]
    assert (friday.starts_at.isoformat(), friday.ends_at.isoformat()) == (
        "2026-03-27T09:00:00+01:00",
        "2026-03-27T09:30:00+01:00",
    )
    assert (friday.title, friday.room) == ("Morning briefing", "Foyer")
    moved = briefing["briefing@demo26.example.org#20260329T070000Z"]
    assert moved.title == "Morning briefing (late: the clocks went forward)"
    assert moved.starts_at.isoformat() == "2026-03-29T10:00:00+02:00"
    # floating, until the 29th, the 28th cancelled by its own entry
    lunch = sorted((k, v.starts_at.isoformat()) for k, v in talks.items() if k.startswith("lunch@"))
    assert lunch == [
        ("lunch@demo26.example.org#20260327T123000", "2026-03-27T12:30:00+01:00"),
        ("lunch@demo26.example.org#20260329T123000", "2026-03-29T12:30:00+02:00"),
    ]
    # all day: the whole day on the event's clock, 23 hours on the day the clocks go forward
    hackathon = talks["hackathon@demo26.example.org"]
    assert (hackathon.starts_at.isoformat(), hackathon.ends_at.isoformat()) == (
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
    )
    days = sorted(k for k in talks if k.startswith("open-space@"))  # weekly on Fridays and Mondays
    assert days == ["open-space@demo26.example.org#20260327", "open-space@demo26.example.org#20260330"]
    assert talks[days[1]].ends_at.isoformat() == "2026-03-31T00:00:00+02:00"
    assert len(talks) == 7


def test_importing_a_recurring_calendar_again_finds_every_occurrence_again():
    entries = plan.read("ical", sample("recurring_berlin.ics"), EASTER)[1]
    first = plan.plan(EASTER, [], entries, remove_missing=True, now="2026-01-01T00:00:00Z")
    again = plan.plan(
        EASTER,
        first.create,
        plan.read("ical", sample("recurring_berlin.ics"), EASTER)[1],
        remove_missing=True,
        now="2026-01-02T00:00:00Z",
    )
    assert (len(first.create), len(again.create), len(again.unchanged), len(again.remove)) == (7, 0, 7, 0)


@pytest.mark.parametrize(
    ("lines", "field", "says"),
    [
        (
            "DTSTART:20260401T090000Z\nDTEND:20260401T100000Z\nRRULE:FREQ=DAILY;COUNT=3",
            "RRULE",
            "no occurrence",
        ),
        (
            "DTSTART:20260327T090000Z\nDTEND:20260327T100000Z\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
            "RRULE",
            "BYMONTH, BYMONTHDAY is not supported",
        ),
        (
            "DTSTART:20260327T090000Z\nDTEND:20260327T100000Z\nRRULE:FREQ=MINUTELY",
            "RRULE",
            "FREQ must be one of",
        ),
        (
            "DTSTART:20260327T090000Z\nDTEND:20260327T100000Z\nRRULE:FREQ=MONTHLY;BYDAY=-1FR",
            "RRULE",
            "weekdays",
        ),
        ("DTSTART:20000101T090000Z\nDTEND:20000101T100000Z\nRRULE:FREQ=DAILY", "RRULE", "more than 5000"),
        ("DTSTART;VALUE=DATE:20260327\nDTEND;VALUE=DATE:20260405", "DTEND", "at most a week"),
        ("DTSTART;VALUE=DATE:20260327\nDURATION:PT3H", "DURATION", "whole days"),
        ("DTSTART;VALUE=DATE:20260327\nDTEND:20260328T100000Z", "DTEND", "must be a date"),
    ],
)
def test_recurring_and_all_day_entries_that_cannot_be_sessions_are_refused_by_property(
    lines, field, says, monkeypatch
):
    from backchannel.conference.schedule import ical

    monkeypatch.setattr(ical, "MAX_STEPS", 5000)  # a daily rule since 2000 looks at 9,600 first
    body = lines.replace("\n", "\r\n")
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u1\r\nSUMMARY:S\r\n{body}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    (problem,) = problems_of("ical", text, EASTER)
    assert problem["field"] == field and says in problem["message"], problem


def test_a_document_of_no_known_format_is_refused_on_auto():
    (problem,) = problems_of("auto", "hello")
    assert problem["field"] == "format"


def test_an_icalendar_entry_ending_when_it_starts_is_refused_naming_dtend():
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:x1\r\n"
        "SUMMARY:Nothing\r\nDTSTART:20260328T100000\r\nDTEND:20260328T100000\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    with pytest.raises(ScheduleInvalid) as raised:
        plan.read("ical", text, EVENT)
    assert [(p.field, p.message) for p in raised.value.problems] == [
        ("DTEND", "must be after DTSTART: a session lasts some time")
    ]
