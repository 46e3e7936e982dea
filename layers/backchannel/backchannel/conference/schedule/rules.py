"""Importing a schedule into an event (its organisers): read the document, check it whole, plan,
write the plan all or nothing, and keep a record of what it came to.

Nothing is written until the whole document has been read and checked: a document with any problem
imports nothing (422, or 413 when too large), and its record lists every problem, each naming the
entry and the field at fault. A dry run plans and writes no session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from backchannel.conference.rules import all_sessions, organised_event
from backchannel.conference.schedule import plan as plans
from backchannel.conference.schedule.entries import Problem, ScheduleInvalid, document_problem
from backchannel.conference.schedule.fetch import MAX_DOCUMENT_BYTES, fetch_document
from backchannel.conference.schedule.model import FAILED, ScheduleImport
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import Conflict, FieldError, NotFound, PayloadTooLarge, ValidationFailed
from backchannel.core.ids import new_ulid
from backchannel.core.model import Caller, Input, iso, read_input, utcnow


class ScheduleRepo(Protocol):
    def apply(self, plan: plans.Plan) -> None:
        """Write the plan all or nothing; Conflict when sessions changed meanwhile."""

    def save_import(self, record: ScheduleImport) -> None: ...
    def get_import(self, import_id: str) -> ScheduleImport | None: ...


def import_schedule(
    store: ConferenceRepo,
    imports: ScheduleRepo,
    caller: Caller,
    event_id: str,
    data: Input,
    *,
    fetch: Callable[[str], str] = fetch_document,
    now: dt.datetime | None = None,
) -> ScheduleImport:
    """Import a schedule given as ``content`` or fetched from ``url``; the finished record."""
    event = organised_event(store, event_id, caller)
    data = read_input(data)
    if ("url" in data) == ("content" in data):
        raise ValidationFailed(FieldError("url", "give either url or content"))
    stamp = iso(now or utcnow())
    record = ScheduleImport(
        id=new_ulid(),
        event_id=event.id,
        format=data["format"],
        url=data.get("url"),
        dry_run=data["dryRun"],
        remove_missing=data["removeMissing"],
        requested_by=caller.member_id,
        created_at=stamp,
    )
    try:
        text = data["content"] if "content" in data else fetch(data["url"])
        if len(text.encode("utf-8", errors="surrogatepass")) > MAX_DOCUMENT_BYTES:
            raise document_problem("content", f"is larger than {MAX_DOCUMENT_BYTES} bytes", status=413)
        record.format, entries = plans.read(data["format"], text, event)
        plan = plans.plan(
            event, all_sessions(store, event.id), entries, remove_missing=record.remove_missing, now=stamp
        )
    except ScheduleInvalid as err:
        record.status, record.errors = FAILED, err.problems
        imports.save_import(record)
        raise _refusal(record, err) from None
    if not record.dry_run:
        try:
            imports.apply(plan)
        except Conflict as err:
            record.status, record.errors = FAILED, [Problem("document", "sessions", err.detail)]
            imports.save_import(record)
            raise
    for name, count in plan.counts().items():
        setattr(record, name, count)
    imports.save_import(record)
    return record


def _refusal(record: ScheduleImport, err: ScheduleInvalid) -> Exception:
    detail = f"import {record.id} failed, nothing was written: {err}"
    if err.status == 413:
        return PayloadTooLarge(detail, field=err.problems[0].field)
    fields = [
        FieldError(p.field if p.entry == "document" else f"{p.entry}.{p.field}", p.message)
        for p in err.problems
    ]
    return ValidationFailed(fields, detail=detail)


def get_import(
    store: ConferenceRepo, imports: ScheduleRepo, caller: Caller, event_id: str, import_id: str
) -> ScheduleImport:
    """An import of the event (its organisers)."""
    organised_event(store, event_id, caller)
    record = imports.get_import(import_id)
    if record is None or record.event_id != event_id:
        raise NotFound(f"schedule import {import_id} not found")
    return record
