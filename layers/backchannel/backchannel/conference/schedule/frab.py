"""frab and pretalx schedules: ``schedule.json`` (the C3VOC schema) and the same schedule as frab XML.

Both read into the same plain record per talk (a dict of the frab field names), then into an
:class:`~backchannel.conference.schedule.entries.Entry` by :func:`entry`. The XML is untrusted: it is
parsed by defusedxml, which refuses a DTD, entity declarations and external references.

JSON::

    {"schedule": {"conference": {"time_zone_name": "Europe/Berlin", "days": [
        {"index": 1, "date": "2026-03-28", "rooms": {"Saal 1": [
            {"guid": "…", "id": 1, "date": "2026-03-28T10:00:00+01:00", "start": "10:00",
             "duration": "00:45", "room": "Saal 1", "title": "…", "subtitle": "…", "track": "…",
             "abstract": "…", "description": "…", "persons": [{"public_name": "…"}],
             "links": [{"url": "https://…", "title": "…"}], "url": "https://…"}]}}]}}}

XML: ``<schedule><conference/><day index date><room name><event guid id><date/><start/>
<duration/><title/><persons><person id>name</person></persons><links><link href>title</link></links>
…</event></room></day></schedule>``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from backchannel.conference.schedule import entries as e
from backchannel.conference.schedule.entries import Collector, Entry, document_problem

_ID_MAX = 200
DEFAULT_DAY_CHANGE = dt.time(4)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def _name(where: str, raw: dict) -> str:
    """How a problem names the talk: its place in the document, its guid (or id) and its title."""
    guid, talk_id = e.clean(raw.get("guid"), 80), e.clean(raw.get("id"), 80)
    title = e.clean(raw.get("title"), 60)
    said = [f"guid {guid}" if guid else f"id {talk_id}" if talk_id else "", f'"{title}"' if title else ""]
    return f"{where} ({', '.join(x for x in said if x)})" if any(said) else where


def entry(
    raw: dict, where: str, problems: Collector, floating: dt.tzinfo, shown_in: dt.tzinfo
) -> Entry | None:
    """The entry of one talk's frab fields, or None after recording what is wrong with it."""
    name = _name(where, raw)
    before = len(problems.problems)
    external_id = e.clean(raw.get("guid"), _ID_MAX) or (
        f"frab-id:{raw_id}" if (raw_id := e.clean(raw.get("id"), _ID_MAX)) else None
    )
    if external_id is None:
        problems.add(name, "guid", "is required (or an id): it is how a later import finds the session")
    title = e.clean(raw.get("title"), e.TITLE_MAX)
    if title is None:
        problems.add(name, "title", "is required")
    starts_at = _start(raw, name, problems, floating)
    length = e.duration(raw.get("duration"))
    if length is None:
        problems.add(name, "duration", "must be a length of time as HH:MM (at most a week)")
    elif not length:
        problems.add(name, "duration", "must be longer than zero")
    if len(problems.problems) > before or starts_at is None or not length:
        return None
    starts_at = starts_at.astimezone(shown_in)
    abstract = e.clean(raw.get("abstract"), e.ABSTRACT_MAX, multiline=True) or e.clean(
        raw.get("description"), e.ABSTRACT_MAX, multiline=True
    )
    track = raw.get("track")
    return Entry(
        external_id=external_id or "",
        title=title or "",
        starts_at=starts_at,
        ends_at=e.later(starts_at, length, shown_in),
        where=name,
        abstract=abstract,
        speakers=e.speakers(raw.get("persons") or []),
        room=e.clean(raw.get("room"), e.ROOM_MAX),
        track=e.clean(track.get("name") if isinstance(track, dict) else track, e.ROOM_MAX),
        links=e.links([(raw.get("url"), "Schedule page"), *(raw.get("links") or [])]),
    )


def _start(raw: dict, name: str, problems: Collector, floating: dt.tzinfo) -> dt.datetime | None:
    """``date`` (ISO, with its offset), else the day's date and ``start`` (HH:MM) as floating time."""
    if raw.get("date") not in (None, ""):
        moment = e.timestamp(raw.get("date"))
        if moment is None:
            problems.add(name, "date", "must be a date-time such as 2026-03-28T10:00:00+01:00")
            return None
        return e.place(moment, floating)
    try:
        day = dt.date.fromisoformat(_text(raw.get("day_date"))[:10])
        clock = dt.time.fromisoformat(_text(raw.get("start")).strip()).replace(tzinfo=None)
    except ValueError:
        problems.add(name, "date", "is required (or the day's date and a start as HH:MM)")
        return None
    if clock < _day_change(raw.get("day_start"), raw.get("day_change"), floating):
        if day == dt.date.max:
            problems.add(name, "start", "is after the last day there is")
            return None
        day += dt.timedelta(days=1)  # after midnight: the night after the day it is listed under
    return e.place(dt.datetime.combine(day, clock), floating)


def _day_change(day_start: Any, day_change: Any, floating: dt.tzinfo) -> dt.time:
    """When a schedule day begins on the clock: the day's own start (``day_start``), else the
    conference's ``day_change`` (HH:MM), else 04:00. A talk given by its day and a ``start`` before
    that is after midnight, on the next calendar day (frab lists a night's talks under the day before)."""
    if (moment := e.timestamp(day_start)) is not None:
        try:
            return (moment.astimezone(floating) if moment.tzinfo else moment).time()
        except (OverflowError, ValueError):
            pass
    try:
        return dt.time.fromisoformat(_text(day_change).strip()).replace(tzinfo=None)
    except ValueError:
        return DEFAULT_DAY_CHANGE


def _zones(zone_name: Any, event_zone: dt.tzinfo) -> dt.tzinfo:
    """Floating times are in the schedule's own time zone when it names a valid one, else the event's."""
    return e.zone(zone_name) or event_zone


# --------------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------------


def read_json(text: str, event_zone: dt.tzinfo) -> list[Entry]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise document_problem(
            "content", f"is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from None
    except RecursionError:
        raise document_problem("content", "is nested too deeply to be a schedule") from None
    schedule = doc.get("schedule") if isinstance(doc, dict) else None
    conference = schedule.get("conference") if isinstance(schedule, dict) else None
    days = conference.get("days") if isinstance(conference, dict) else None
    if not isinstance(days, list):
        raise document_problem(
            "schedule.conference.days", "is required: a list of days (a frab/pretalx schedule)"
        )
    floating = _zones(conference.get("time_zone_name"), event_zone)
    problems, found = Collector(), []
    for d, day in enumerate(days):
        rooms = day.get("rooms") if isinstance(day, dict) else None
        if not isinstance(rooms, dict):
            problems.add(f"days[{d}]", "rooms", "must be an object of rooms, each a list of events")
            continue
        for room, talks in rooms.items():
            if not isinstance(talks, list):
                problems.add(f"days[{d}].rooms[{json.dumps(room)}]", "events", "must be a list of events")
                continue
            for t, talk in enumerate(talks):
                where = f"days[{d}].rooms[{json.dumps(room, ensure_ascii=False)}][{t}]"
                if not isinstance(talk, dict):
                    problems.add(where, "event", "must be an object")
                    continue
                raw = {**talk, "day_date": day.get("date"), "room": talk.get("room") or room}
                raw.update(day_start=day.get("day_start"), day_change=conference.get("day_change"))
                raw["persons"] = [_person(p) for p in _list(talk.get("persons"))]
                raw["links"] = [_link(x) for x in _list(talk.get("links"))]
                if (found_entry := entry(raw, where, problems, floating, event_zone)) is not None:
                    found.append(found_entry)
    problems.raise_if_any()
    return found


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _person(person: Any) -> tuple[Any, Any]:
    if isinstance(person, str):
        return person, None
    if not isinstance(person, dict):
        return None, None
    return person.get("public_name") or person.get("name") or person.get("full_public_name"), person.get(
        "url"
    )


def _link(link: Any) -> tuple[Any, Any]:
    if isinstance(link, str):
        return link, None
    return (link.get("url"), link.get("title")) if isinstance(link, dict) else (None, None)


# --------------------------------------------------------------------------------------------------
# XML
# --------------------------------------------------------------------------------------------------

_FIELDS = (
    "date",
    "start",
    "duration",
    "room",
    "title",
    "subtitle",
    "track",
    "abstract",
    "description",
    "url",
)


def read_xml(text: str, event_zone: dt.tzinfo) -> list[Entry]:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(text.encode("utf-8"), forbid_dtd=True)
    except ParseError as err:
        line, column = getattr(err, "position", (0, 0))
        message = str(err).split(":")[0]
        raise document_problem(
            "content", f"is not well-formed XML: {message} at line {line} column {column + 1}"
        ) from None
    except DefusedXmlException as err:
        raise document_problem("content", f"is refused: {type(err).__name__} (no DTDs or entities)") from None
    if root.tag != "schedule":
        raise document_problem("content", f"must have <schedule> as its root element, not <{root.tag[:40]}>")
    floating = _zones((root.findtext("conference/time_zone_name") or "").strip(), event_zone)
    day_change = root.findtext("conference/day_change")
    problems, found = Collector(), []
    for d, day in enumerate(root.findall("day")):
        for room in day.findall("room"):
            room_name = room.get("name") or ""
            for t, talk in enumerate(room.findall("event")):
                where = f"day[{d + 1}]/room[@name={json.dumps(room_name, ensure_ascii=False)}]/event[{t + 1}]"
                raw = _xml_talk(talk)
                raw.update(day_date=day.get("date"), room=raw.get("room") or room_name)
                raw.update(day_start=day.get("start"), day_change=day_change)
                if (found_entry := entry(raw, where, problems, floating, event_zone)) is not None:
                    found.append(found_entry)
    problems.raise_if_any()
    return found


def _xml_talk(talk: Element) -> dict:
    raw: dict[str, Any] = {name: talk.findtext(name) for name in _FIELDS}
    raw["guid"], raw["id"] = talk.get("guid"), talk.get("id")
    raw["persons"] = [(p.text, None) for p in talk.findall("persons/person")]
    raw["links"] = [(x.get("href"), x.text) for x in talk.findall("links/link")]
    return raw
