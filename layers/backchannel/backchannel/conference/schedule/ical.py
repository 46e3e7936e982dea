"""iCalendar schedules: each VEVENT is a session, each occurrence of a recurring one too.

``UID`` is the external id, ``SUMMARY`` the title, ``DESCRIPTION`` the abstract, ``LOCATION`` the
room, the first of ``CATEGORIES`` the track, ``URL`` a link. ``DTSTART`` with ``DTEND`` or
``DURATION``: a time with a ``TZID`` is in that zone (the calendar's ``VTIMEZONE`` or the IANA name),
one ending in ``Z`` is UTC, and a floating time (neither) is in the event's time zone. A ``CANCELLED``
entry is left out, so it is removed by an import with ``removeMissing``.

- **All day** (``DTSTART;VALUE=DATE``): the whole day in the event's time zone, midnight to midnight
  (23 or 25 hours on a clock change), up to ``DTEND`` (a date, not included) or for ``DURATION`` whole
  days, one day without either: an organiser's calendar marks a hackathon or a workshop day that way.
- **Recurring** (``RRULE``, ``RDATE``, ``EXDATE``): every occurrence that starts within the event's
  dates is a session of the entry's length, with the external id ``<UID>#<recurrence id>`` (its
  original start: ``20260710T080000Z`` in UTC, ``20260710T100000`` floating, ``20260710`` all day), so a
  later import finds it again. A VEVENT with the same ``UID`` and a ``RECURRENCE-ID`` replaces that
  occurrence (or cancels it). ``FREQ`` may be ``DAILY``, ``WEEKLY``, ``MONTHLY`` or ``YEARLY`` with
  ``INTERVAL``, ``COUNT``, ``UNTIL``, ``WKST`` and ``BYDAY`` weekdays; anything else is refused by name
  (rules that can never match would keep the reader busy for seconds). A recurring entry with no
  occurrence within the event is refused, like a single entry outside it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from backchannel.conference.schedule import entries as e
from backchannel.conference.schedule.entries import Collector, Entry, document_problem

_ID_MAX = 200
_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_RULE_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY"}
_WEEKDAYS = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
MAX_STEPS = 100_000  # occurrences looked at in one document, from each DTSTART to the event's end


def read(text: str, event_zone: dt.tzinfo, window: tuple[dt.datetime, dt.datetime]) -> list[Entry]:
    """The entries of ``text``; recurring entries expanded within ``window`` (the event's opening and
    closing moments)."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(text)
        components = list(calendar.walk("VEVENT"))
    except RecursionError:
        raise document_problem("content", "is nested too deeply to be a calendar") from None
    except Exception as err:  # a third-party parser on untrusted input: any failure is the document's
        raise document_problem("content", f"is not a valid iCalendar file: {str(err)[:200]}") from None
    problems, found = Collector(), []
    recurring: list[_Read] = []
    overrides: dict[tuple[str, str], Entry | None] = {}  # None: that occurrence is cancelled
    for index, component in enumerate(components):
        try:
            got = _read(component, index, problems, event_zone)
        except Exception as err:  # a property icalendar cannot decode
            problems.add(f"VEVENT[{index + 1}]", "VEVENT", f"could not be read: {str(err)[:200]}")
            continue
        if got is None:
            continue
        if got.recurrence_id is not None:
            overrides[(got.uid, got.recurrence_id)] = got.entry
        elif got.recurs:
            recurring.append(got)
        elif got.entry is not None:
            found.append(got.entry)
    budget = [MAX_STEPS]  # shared: a thousand entries recurring since 1900 cost no more than one
    for got in recurring:
        try:
            occurrences = _occurrences(got, window, event_zone, problems, budget)
        except Exception as err:  # values dateutil cannot combine (a date beside a date-time, say)
            problems.add(got.name, "RRULE", f"could not be expanded: {str(err)[:200]}")
            continue
        found.extend(entry for entry in occurrences if (got.uid, _id_part(entry)) not in overrides)
    found.extend(entry for entry in overrides.values() if entry is not None)
    problems.raise_if_any()
    return found


def _id_part(entry: Entry) -> str:
    return entry.external_id.rpartition("#")[2]


@dataclass
class _Read:
    """One VEVENT as read: ``entry`` is its first (or only) occurrence, None when it is cancelled."""

    uid: str
    name: str
    entry: Entry | None
    component: Any = None
    recurrence_id: str | None = None  # it replaces this occurrence of the entry ``uid``
    recurs: bool = False
    start: dt.date | dt.datetime | None = None  # DTSTART as given
    length: dt.timedelta | int = 0  # real time; whole days when all day


def _name(component: Any, index: int) -> str:
    uid = e.clean(str(component.get("UID") or ""), 80)
    title = e.clean(str(component.get("SUMMARY") or ""), 60)
    said = ", ".join(x for x in (f"UID {uid}" if uid else "", f'"{title}"' if title else "") if x)
    return f"VEVENT[{index + 1}] ({said})" if said else f"VEVENT[{index + 1}]"


def _read(component: Any, index: int, problems: Collector, event_zone: dt.tzinfo) -> _Read | None:
    name = _name(component, index)
    before = len(problems.problems)
    uid = e.clean(str(component.get("UID") or ""), _ID_MAX)
    if uid is None:
        problems.add(name, "UID", "is required: it is how a later import finds the session")
    recurrence_id = None
    if component.get("RECURRENCE-ID") is not None:
        recurrence_id = _occurrence_id(component.get("RECURRENCE-ID").dt)
    if str(component.get("STATUS") or "").upper() == "CANCELLED":
        if uid is None or recurrence_id is None:
            problems.problems[before:] = []  # a cancelled entry is left out whatever it lacks
            return None
        return _Read(uid, name, None, recurrence_id=recurrence_id)
    title = e.clean(str(component.get("SUMMARY") or ""), e.TITLE_MAX)
    if title is None:
        problems.add(name, "SUMMARY", "is required")
    recurs = component.get("RRULE") is not None or component.get("RDATE") is not None
    if recurs and recurrence_id is not None:
        problems.add(name, "RRULE", "an entry replacing one occurrence (RECURRENCE-ID) cannot recur itself")
    if component.get("RRULE") is not None:
        _check_rule(component.get("RRULE"), name, problems)
    start = getattr(component.get("DTSTART"), "dt", None)
    if start is None:
        problems.add(name, "DTSTART", "is required")
        return None
    if isinstance(start, dt.datetime):
        span = _timed(component, start, name, problems, event_zone)
    elif isinstance(start, dt.date):
        span = _all_day(component, start, name, problems, event_zone)
    else:
        problems.add(name, "DTSTART", "must be a date-time, or a date for an all-day entry")
        return None
    if len(problems.problems) > before or span is None or uid is None:
        return None
    starts_at, ends_at, length = span
    external_id = f"{uid}#{recurrence_id}" if recurrence_id is not None else uid
    if recurs:
        external_id = f"{uid}#{_occurrence_id(start)}"
    categories = component.get("CATEGORIES")
    cats = getattr(categories[0] if isinstance(categories, list) and categories else categories, "cats", [])
    url = component.get("URL")
    entry = Entry(
        external_id=external_id,
        title=title or "",
        starts_at=starts_at,
        ends_at=ends_at,
        where=name,
        time_field="DTSTART",
        abstract=e.clean(str(component.get("DESCRIPTION") or ""), e.ABSTRACT_MAX, multiline=True),
        room=e.clean(str(component.get("LOCATION") or ""), e.ROOM_MAX),
        track=e.clean(str(cats[0]), e.ROOM_MAX) if cats else None,
        links=e.links([(str(url), "Schedule page")] if url is not None else []),
    )
    return _Read(uid, name, entry, component, recurrence_id, recurs, start, length)


Span = tuple[dt.datetime, dt.datetime, "dt.timedelta | int"]


def _timed(
    component: Any, start: dt.datetime, name: str, problems: Collector, event_zone: dt.tzinfo
) -> Span | None:
    """Start and end of an entry with a start time, and its length in real time."""
    starts_at = e.place(start, event_zone).astimezone(event_zone)
    if component.get("DTEND") is not None:
        end = component.get("DTEND").dt
        if not isinstance(end, dt.datetime):
            problems.add(name, "DTEND", "must be a date-time, as DTSTART is")
            return None
        ends_at = e.place(end, event_zone).astimezone(event_zone)
        if ends_at <= starts_at:
            problems.add(name, "DTEND", "must be after DTSTART: a session lasts some time")
            return None
        return starts_at, ends_at, ends_at - starts_at
    if component.get("DURATION") is not None:
        length = component.get("DURATION").dt
        if isinstance(length, dt.timedelta) and dt.timedelta(0) < length <= dt.timedelta(days=7):
            return starts_at, e.later(starts_at, length, event_zone), length
        problems.add(name, "DURATION", "must be a positive length of time (at most a week)")
        return None
    problems.add(name, "DTEND", "is required (or DURATION): a session has an end")
    return None


def _all_day(
    component: Any, start: dt.date, name: str, problems: Collector, event_zone: dt.tzinfo
) -> Span | None:
    """An all-day entry: from midnight of its first day to midnight after its last, in the event's
    time zone; its length in days."""
    days = 1
    if component.get("DTEND") is not None:
        end = component.get("DTEND").dt
        if isinstance(end, dt.datetime) or not isinstance(end, dt.date):
            problems.add(name, "DTEND", "must be a date, as DTSTART is (an all-day entry)")
            return None
        days = (end - start).days
        if days < 1:
            problems.add(name, "DTEND", "must be after DTSTART: an all-day entry lasts at least a day")
            return None
    elif component.get("DURATION") is not None:
        length = component.get("DURATION").dt
        if (
            not isinstance(length, dt.timedelta)
            or length.days < 1
            or length != dt.timedelta(days=length.days)
        ):
            problems.add(name, "DURATION", "must be whole days for an all-day entry (P1D)")
            return None
        days = length.days
    if days > 7:
        problems.add(name, "DTEND", "must be at most a week after DTSTART")
        return None
    return _midnight(start, event_zone), _midnight(start + dt.timedelta(days=days), event_zone), days


def _midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


def _check_rule(rule: Any, name: str, problems: Collector) -> None:
    if isinstance(rule, list):
        problems.add(name, "RRULE", "must be given once")
        return
    parts = {str(k).upper(): v for k, v in rule.items()}
    if (freq := [str(f).upper() for f in parts.get("FREQ") or []]) not in ([f] for f in _FREQUENCIES):
        problems.add(name, "RRULE", f"FREQ must be one of {', '.join(_FREQUENCIES)}")
    if unknown := sorted(set(parts) - _RULE_PARTS):
        problems.add(
            name, "RRULE", f"{', '.join(unknown)} is not supported: give such occurrences as entries (RDATE)"
        )
    if any(str(day).upper() not in _WEEKDAYS for day in parts.get("BYDAY") or []):
        problems.add(name, "RRULE", "BYDAY may only name weekdays (MO to SU), without a number")
    interval = (parts.get("INTERVAL") or [1])[0]
    if freq and (not isinstance(interval, int) or not 1 <= interval <= 1000):
        problems.add(name, "RRULE", "INTERVAL must be a whole number from 1 to 1000")


def _occurrences(
    got: _Read,
    window: tuple[dt.datetime, dt.datetime],
    event_zone: dt.tzinfo,
    problems: Collector,
    budget: list[int],
) -> list[Entry]:
    """Every occurrence of a recurring entry that starts within ``window``, as entries; each one
    looked at, in the window or before it, spends one of ``budget``."""
    from dateutil.rrule import rruleset, rrulestr

    all_day = not isinstance(got.start, dt.datetime)
    first = _as_datetime(got.start)
    occurrences = rruleset()
    occurrences.rdate(first)  # DTSTART is always the first occurrence
    if (rule := got.component.get("RRULE")) is not None:
        occurrences.rrule(rrulestr(rule.to_ical().decode(), dtstart=first))
    for field, add in (("RDATE", occurrences.rdate), ("EXDATE", occurrences.exdate)):
        for value in _values(got.component.get(field)):
            add(_as_datetime(value))
    lo, hi = window
    if first.tzinfo is None:  # floating or all day: compared on the event's clock
        lo, hi = (w.astimezone(event_zone).replace(tzinfo=None) for w in window)
    found: list[Entry] = []
    for moment in occurrences:
        budget[0] -= 1
        if budget[0] < 0:
            problems.add(
                got.name,
                "RRULE",
                f"recurs too often: the document's entries recur more than {MAX_STEPS} "
                "times before the event ends",
            )
            return []
        if moment >= hi:
            break
        if moment < lo:
            continue
        occurrence_id = _occurrence_id(moment.date() if all_day else moment)
        if all_day:
            starts_at = _midnight(moment.date(), event_zone)
            ends_at = _midnight(moment.date() + dt.timedelta(days=int(got.length)), event_zone)
        else:
            starts_at = e.place(moment, event_zone).astimezone(event_zone)
            ends_at = e.later(starts_at, got.length, event_zone)  # type: ignore[arg-type]
        found.append(
            dataclasses.replace(
                got.entry,  # type: ignore[arg-type]
                external_id=f"{got.uid}#{occurrence_id}",
                starts_at=starts_at,
                ends_at=ends_at,
                where=f"{got.name} occurrence {occurrence_id}",
            )
        )
    if not found:
        problems.add(got.name, "RRULE", "has no occurrence within the event's dates")
    return found


def _values(prop: Any) -> list[Any]:
    """The dates of an ``RDATE`` or ``EXDATE`` (one property or several)."""
    props = prop if isinstance(prop, list) else [prop] if prop is not None else []
    return [value.dt for p in props for value in getattr(p, "dts", [])]


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0))
    raise ValueError("a period is not supported: give the start of each occurrence")


def _occurrence_id(value: Any) -> str:
    """A recurrence id as iCalendar writes one: a date, a floating time, or a time in UTC."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        return value.strftime("%Y%m%dT%H%M%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    raise ValueError("RECURRENCE-ID must be a date or a date-time")
