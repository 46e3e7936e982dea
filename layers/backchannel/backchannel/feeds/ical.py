"""An event's schedule as iCalendar (RFC 5545), with the ``icalendar`` package.

The package does the parts that are easy to get wrong by hand: escaping TEXT values (``\\``, ``;``,
``,``, newlines), folding lines at 75 octets with CRLF without splitting a UTF-8 sequence, and
writing a VTIMEZONE from the zoneinfo database. It is imported inside :func:`schedule`, so only the
feeds function pays for it, and only when a calendar is asked for. Output is deterministic (DTSTAMP
is the session's last change, not the clock), so equal schedules give equal bytes and ETags.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from backchannel.conference.model import Event, Session

PRODID = "-//Backchannel//Backchannel schedule 1.0//EN"
# RFC 5545 CONTROL characters (TEXT may not hold them; newlines are escaped by the package) and
# what XML would also refuse, so one text reads the same in every feed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
TIMEZONE_MARGIN = dt.timedelta(days=7)
UTC = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "Etc/Zulu", "Etc/Universal", "UCT", "Zulu", "Universal"})


def ical_text(value: str | None) -> str:
    """``value`` without control characters; line breaks become ``\\n`` (escaped on output)."""
    if not value:
        return ""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _stamp(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)


def _description(session: Session) -> str:
    parts = [ical_text(session.abstract).strip()]
    speakers = [ical_text(s.name).strip() for s in session.speakers]
    if any(speakers):
        parts.append("Speakers: " + ", ".join(s for s in speakers if s))
    return "\n\n".join(p for p in parts if p)


def schedule(event: Event, sessions: list[Session], *, base: str = "") -> bytes:
    """A VCALENDAR with one VEVENT per session, times in the event's own time zone (with its
    VTIMEZONE), sorted by start. ``base`` is the API's absolute address (empty: no URL property)."""
    import icalendar

    zone = ZoneInfo(event.timezone)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", ical_text(event.name))
    cal.add("x-wr-calname", ical_text(event.name))
    cal.add("x-wr-timezone", event.timezone)
    if event.description:
        cal.add("x-wr-caldesc", ical_text(event.description))
    if event.timezone in UTC:
        zone = dt.UTC  # times in UTC ("Z"): no VTIMEZONE needed
    else:
        # Only the transitions near the event: a small VTIMEZONE that is right for every session.
        cal.add_component(
            icalendar.Timezone.from_tzid(
                event.timezone,
                first_date=event.starts_on - TIMEZONE_MARGIN,
                last_date=event.ends_on + TIMEZONE_MARGIN,
            )
        )
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        vevent = icalendar.Event()
        vevent.add("uid", f"{session.id}@backchannel")
        vevent.add("dtstamp", _stamp(session.updated_at))
        vevent.add("created", _stamp(session.created_at))
        vevent.add("last-modified", _stamp(session.updated_at))
        vevent.add("sequence", max(session.version - 1, 0))
        vevent.add("dtstart", session.starts_at.astimezone(zone))
        vevent.add("dtend", session.ends_at.astimezone(zone))
        vevent.add("summary", ical_text(session.title))
        description = _description(session)
        if description:
            vevent.add("description", description)
        if session.room:
            vevent.add("location", ical_text(session.room))
        if session.track:
            vevent.add("categories", [ical_text(session.track)])
        if base:
            vevent.add("url", f"{base}/sessions/{session.id}")
        vevent.add("status", "CONFIRMED")
        cal.add_component(vevent)
    return cal.to_ical()
