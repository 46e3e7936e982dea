"""What every schedule format is read into: :class:`Entry`, one session of an imported schedule, and
:class:`ScheduleInvalid`, every problem found, each naming the entry and the field at fault.

Pure: no I/O. The readers (``frab``, ``ical``) turn a document into entries with the helpers here,
which clean text the way the sessions API would accept it and place times in a time zone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backchannel.conference.model import Link, Speaker

MAX_ENTRIES = 2000
MAX_PROBLEMS = 100  # reported (and stored with the import); the count says how many there were
# the limits of the sessions API (conference.schemas): imported text is cut to them, never refused
TITLE_MAX, ABSTRACT_MAX, NAME_MAX, ROOM_MAX, LINK_TITLE_MAX = 300, 10000, 200, 100, 100
MAX_SPEAKERS, MAX_LINKS = 20, 20


@dataclass(frozen=True)
class Problem:
    """What is wrong: ``entry`` names the entry (a path in the document, its id and title), or
    ``document`` when the whole document is at fault; ``field`` is the field of the format."""

    entry: str
    field: str
    message: str

    def to_json(self) -> dict:
        return {"entry": self.entry, "field": self.field, "message": self.message}


class ScheduleInvalid(Exception):
    """The document cannot be imported; ``problems`` says everything that is wrong (the first
    :data:`MAX_PROBLEMS`), ``status`` the HTTP status it deserves (413 for a document too large)."""

    def __init__(self, problems: list[Problem], *, status: int = 422) -> None:
        self.problems = problems[:MAX_PROBLEMS]
        self.count = len(problems)
        self.status = status
        first = problems[0] if problems else Problem("document", "content", "is not a schedule")
        more = f" (and {self.count - 1} more)" if self.count > 1 else ""
        super().__init__(f"{first.entry}: {first.field}: {first.message}{more}")


def document_problem(field: str, message: str, *, status: int = 422) -> ScheduleInvalid:
    return ScheduleInvalid([Problem("document", field, message)], status=status)


@dataclass
class Entry:
    """One session as a schedule gives it, its times aware; ``where`` names it in problems and
    ``time_field`` is the format's name of its start time."""

    external_id: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    where: str
    time_field: str = "date"
    abstract: str | None = None
    speakers: list[Speaker] = field(default_factory=list)
    room: str | None = None
    track: str | None = None
    links: list[Link] = field(default_factory=list)


class Collector:
    """Problems found while reading entries: ``check`` records one and returns None, so a reader can
    go on and report every problem of a document at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, entry: str, field: str, message: str) -> None:
        self.problems.append(Problem(entry, field, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ScheduleInvalid(self.problems)


# --------------------------------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------------------------------


# what the sessions API refuses in text (core.validation: categories Cc, Cs, Co and the Unicode line and
# paragraph separators), but tabs and line breaks, which clean() folds or keeps
_REFUSED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\U000f0000-\U0010ffff\u2028\u2029]"
)


def clean(value: object, max_len: int, *, multiline: bool = False) -> str | None:
    """``value`` as text the sessions API accepts: control characters dropped (line breaks and tabs
    kept when ``multiline``, else folded into spaces), trimmed, cut to ``max_len`` with an ellipsis;
    None when nothing is left or ``value`` is not text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value[: max_len * 4 + 64].replace("\r\n", "\n").replace("\r", "\n")
    text = _REFUSED.sub("", text)
    text = text.strip() if multiline else re.sub(r"\s+", " ", text).strip()
    if len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return text or None


def web_url(value: object) -> str | None:
    """``value`` if it is an absolute http(s) URL the sessions API accepts, else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or len(value) > 2048:
        return None
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value) or clean(value, 2048) != value:
        return None
    return value


def links(pairs: list[tuple[object, object]]) -> list[Link]:
    """The valid (url, title) pairs as links, one per URL, at most :data:`MAX_LINKS`."""
    found: dict[str, Link] = {}
    for url, title in pairs:
        if (checked := web_url(url)) and checked not in found:
            found[checked] = Link(title=clean(title, LINK_TITLE_MAX) or checked[:LINK_TITLE_MAX], url=checked)
    return list(found.values())[:MAX_LINKS]


def speakers(pairs: list[tuple[object, object]]) -> list[Speaker]:
    """(name, link) pairs as speakers: nameless ones left out, at most :data:`MAX_SPEAKERS`."""
    found = [Speaker(name=name, link=web_url(link)) for raw, link in pairs if (name := clean(raw, NAME_MAX))]
    return found[:MAX_SPEAKERS]


# --------------------------------------------------------------------------------------------------
# time
# --------------------------------------------------------------------------------------------------


def zone(name: object) -> ZoneInfo | None:
    """The IANA zone ``name``, or None if it is not one."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def place(moment: dt.datetime, floating_zone: dt.tzinfo) -> dt.datetime:
    """An aware ``moment``: a floating (naive) one is wall-clock time in ``floating_zone``. A wall time
    that a DST switch skips or repeats takes the offset in force before the switch (``fold=0``)."""
    return moment.replace(tzinfo=floating_zone) if moment.tzinfo is None else moment


def later(start: dt.datetime, length: dt.timedelta, shown_in: dt.tzinfo) -> dt.datetime:
    """``length`` of real time after ``start``, shown in ``shown_in``: the sum is taken in UTC, since
    Python adds a timedelta to an aware time as wall-clock time (wrong across a DST switch)."""
    return (start.astimezone(dt.UTC) + length).astimezone(shown_in)


_DURATION = re.compile(r"(\d{1,3}):(\d{2})(?::(\d{2}))?")


def duration(value: object) -> dt.timedelta | None:
    """A frab duration (``HH:MM`` or ``HH:MM:SS``), None if it is not one or is over a week."""
    if not isinstance(value, str) or not (m := _DURATION.fullmatch(value.strip())):
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    if minutes >= 60 or seconds >= 60:
        return None
    length = dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return length if length <= dt.timedelta(days=7) else None


def timestamp(value: object) -> dt.datetime | None:
    """An ISO 8601 date-time (with or without an offset), None if it is not one."""
    if not isinstance(value, str) or len(value) > 40 or "T" not in value.upper():
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
