"""iCalendar schedules: each VEVENT is a session.

``UID`` is the external id, ``SUMMARY`` the title, ``DESCRIPTION`` the abstract, ``LOCATION`` the
room, the first of ``CATEGORIES`` the track, ``URL`` a link. ``DTSTART`` with ``DTEND`` or
``DURATION``: a time with a ``TZID`` is in that zone (the calendar's ``VTIMEZONE`` or the IANA name),
one ending in ``Z`` is UTC, and a floating time (neither) is in the event's time zone. All-day and
recurring entries are refused (a session has a start time and happens once); a ``CANCELLED`` one is
left out, so it is removed by an import with ``removeMissing``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backchannel.conference.schedule import entries as e
from backchannel.conference.schedule.entries import Collector, Entry, document_problem

_ID_MAX = 200


def read(text: str, event_zone: dt.tzinfo) -> list[Entry]:
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(text)
        components = list(calendar.walk("VEVENT"))
    except RecursionError:
        raise document_problem("content", "is nested too deeply to be a calendar") from None
    except Exception as err:  # a third-party parser on untrusted input: any failure is the document's
        raise document_problem("content", f"is not a valid iCalendar file: {str(err)[:200]}") from None
    problems, found = Collector(), []
    for index, component in enumerate(components):
        try:
            read_entry = _entry(component, index, problems, event_zone)
        except Exception as err:  # a property icalendar cannot decode
            problems.add(f"VEVENT[{index + 1}]", "VEVENT", f"could not be read: {str(err)[:200]}")
            continue
        if read_entry is not None:
            found.append(read_entry)
    problems.raise_if_any()
    return found


def _name(component: Any, index: int) -> str:
    uid = e.clean(str(component.get("UID") or ""), 80)
    title = e.clean(str(component.get("SUMMARY") or ""), 60)
    said = ", ".join(x for x in (f"UID {uid}" if uid else "", f'"{title}"' if title else "") if x)
    return f"VEVENT[{index + 1}] ({said})" if said else f"VEVENT[{index + 1}]"


def _entry(component: Any, index: int, problems: Collector, event_zone: dt.tzinfo) -> Entry | None:
    if str(component.get("STATUS") or "").upper() == "CANCELLED":
        return None
    name = _name(component, index)
    before = len(problems.problems)
    uid = e.clean(str(component.get("UID") or ""), _ID_MAX)
    if uid is None:
        problems.add(name, "UID", "is required: it is how a later import finds the session")
    title = e.clean(str(component.get("SUMMARY") or ""), e.TITLE_MAX)
    if title is None:
        problems.add(name, "SUMMARY", "is required")
    if component.get("RRULE") is not None or component.get("RDATE") is not None:
        problems.add(
            name, "RRULE", "recurring entries are not supported: give each occurrence its own VEVENT"
        )
    starts_at = _moment(component, "DTSTART", name, problems, event_zone)
    ends_at = None
    if component.get("DTEND") is not None:
        ends_at = _moment(component, "DTEND", name, problems, event_zone)
        if starts_at is not None and ends_at is not None and ends_at <= starts_at:
            problems.add(name, "DTEND", "must be after DTSTART: a session lasts some time")
    elif component.get("DURATION") is not None and starts_at is not None:
        length = component.get("DURATION").dt
        if isinstance(length, dt.timedelta) and dt.timedelta(0) < length <= dt.timedelta(days=7):
            ends_at = e.later(starts_at, length, event_zone)
        else:
            problems.add(name, "DURATION", "must be a positive length of time (at most a week)")
    elif starts_at is not None:
        problems.add(name, "DTEND", "is required (or DURATION): a session has an end")
    if len(problems.problems) > before or starts_at is None or ends_at is None:
        return None
    categories = component.get("CATEGORIES")
    cats = getattr(categories[0] if isinstance(categories, list) and categories else categories, "cats", [])
    url = component.get("URL")
    return Entry(
        external_id=uid or "",
        title=title or "",
        starts_at=starts_at.astimezone(event_zone),
        ends_at=ends_at.astimezone(event_zone),
        where=name,
        time_field="DTSTART",
        abstract=e.clean(str(component.get("DESCRIPTION") or ""), e.ABSTRACT_MAX, multiline=True),
        room=e.clean(str(component.get("LOCATION") or ""), e.ROOM_MAX),
        track=e.clean(str(cats[0]), e.ROOM_MAX) if cats else None,
        links=e.links([(str(url), "Schedule page")] if url is not None else []),
    )


def _moment(
    component: Any, field: str, name: str, problems: Collector, event_zone: dt.tzinfo
) -> dt.datetime | None:
    prop = component.get(field)
    value = getattr(prop, "dt", None)
    if value is None:
        problems.add(name, field, "is required")
        return None
    if not isinstance(value, dt.datetime):
        problems.add(name, field, "must be a date-time: an all-day entry is not a session")
        return None
    return e.place(value, event_zone)
