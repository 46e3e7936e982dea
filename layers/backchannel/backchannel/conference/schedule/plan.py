"""From a document to a plan: read it in its format, check its entries against the event, and work out
which sessions to create, update, leave alone and remove. Pure: the plan is written by the repo.

Sessions are matched by ``externalId`` (the schedule's guid or UID), so importing the same schedule
again changes nothing, and importing a changed one updates what changed. A session made by hand has
no ``externalId``: an import never matches, changes or removes it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from backchannel.conference.model import Event, Session
from backchannel.conference.rules import fits
from backchannel.conference.schedule import frab, ical
from backchannel.conference.schedule.entries import (
    MAX_ENTRIES,
    Collector,
    Entry,
    document_problem,
)
from backchannel.core.ids import new_ulid

FORMATS = ("frab-json", "frab-xml", "ical")


def detect(text: str) -> str:
    """The format of a document by its first characters (``auto``)."""
    head = text.lstrip("\ufeff \t\r\n")[:64]
    if head.startswith(("{", "[")):
        return "frab-json"
    if head.startswith("<"):
        return "frab-xml"
    if head.upper().startswith("BEGIN:VCALENDAR"):
        return "ical"
    raise document_problem("format", "could not tell the document's format: say frab-json, frab-xml or ical")


def read(fmt: str, text: str, event: Event) -> tuple[str, list[Entry]]:
    """The format and the checked entries of ``text``; raises :class:`ScheduleInvalid`."""
    fmt = detect(text) if fmt == "auto" else fmt
    zone = ZoneInfo(event.timezone)
    text = text.lstrip("\ufeff")
    if fmt == "ical":
        entries = ical.read(text, zone, (event.opens_at, event.closes_at))
    else:
        entries = {"frab-json": frab.read_json, "frab-xml": frab.read_xml}[fmt](text, zone)
    check(event, entries)
    return fmt, entries


def check(event: Event, entries: list[Entry]) -> None:
    """Every entry within the event's dates, and each external id once."""
    if len(entries) > MAX_ENTRIES:
        raise document_problem(
            "content", f"has {len(entries)} sessions; an import takes at most {MAX_ENTRIES}"
        )
    problems = Collector()
    seen: dict[str, Entry] = {}
    for entry in entries:
        if not fits(event, entry.starts_at, entry.ends_at):
            problems.add(
                entry.where,
                entry.time_field,
                f"{entry.starts_at.isoformat()} to {entry.ends_at.isoformat()} is outside the event "
                f"({event.starts_on} to {event.ends_on}, {event.timezone})",
            )
        if (first := seen.setdefault(entry.external_id, entry)) is not entry:
            field = "UID" if entry.time_field == "DTSTART" else "guid"
            problems.add(entry.where, field, f"{entry.external_id} is also the id of {first.where}")
    problems.raise_if_any()


@dataclass
class Plan:
    create: list[Session] = field(default_factory=list)
    update: list[tuple[Session, Session]] = field(default_factory=list)  # (before, after)
    unchanged: list[Session] = field(default_factory=list)
    remove: list[Session] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.create),
            "updated": len(self.update),
            "unchanged": len(self.unchanged),
            "removed": len(self.remove),
        }


_COMPARED = ("title", "abstract", "speakers", "room", "track", "starts_at", "ends_at", "links")


def plan(
    event: Event, existing: list[Session], entries: list[Entry], *, remove_missing: bool, now: str
) -> Plan:
    """What to write so that the event's imported sessions are ``entries``. New sessions get a hashtag
    made from their title, unique within the event; an updated session keeps its hashtag and id."""
    imported = {}
    for session in existing:
        if session.external_id and session.external_id not in imported:
            imported[session.external_id] = session
    taken = {s.hashtag.lower() for s in existing if s.hashtag} | {event.hashtag.lower()}
    result = Plan()
    for entry in entries:
        values = {name: getattr(entry, name) for name in _COMPARED}
        before = imported.get(entry.external_id)
        if before is None:
            tag = hashtag(entry.title, taken)
            taken.add(tag.lower())
            result.create.append(
                Session(
                    id=new_ulid(),
                    event_id=event.id,
                    external_id=entry.external_id,
                    hashtag=tag,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
        elif all(getattr(before, name) == value for name, value in values.items()):
            result.unchanged.append(before)
        else:
            after = dataclasses.replace(before, **values, updated_at=now, version=before.version + 1)
            result.update.append((before, after))
    if remove_missing:
        wanted = {entry.external_id for entry in entries}
        result.remove = [s for ext, s in imported.items() if ext not in wanted]
    return result


def hashtag(title: str, taken: set[str]) -> str:
    """A hashtag for a session titled ``title``: its first words in CamelCase, letters and digits only
    (accents dropped), at most 30 characters, not in ``taken`` (lower case): ``Session`` if nothing is
    left, and a number added when it is taken (``OpeningKeynote2``)."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[A-Za-z0-9]+", folded)
    base = "".join(w[:1].upper() + w[1:] for w in words)[:30] or "Session"
    tag, n = base, 1
    while tag.lower() in taken:
        n += 1
        tag = f"{base[: 30 - len(str(n))]}{n}"
    return tag
