"""Importing a schedule into an event (its organisers): read the document, check it whole, plan,
write the plan all or nothing, and keep a record of what it came to.

Nothing is written until the whole document has been read and checked: a document with any problem
imports nothing (422, or 413 when too large), and its record lists every problem, each naming the
entry and the field at fault. A dry run plans and writes no session.

Two ways to run:

- **At once** (:func:`import_schedule`, 201): a document of at most :data:`SYNC_MAX_BYTES` given in
  the request. The answer is the finished record; a failure is the answer's 4xx, which carries the
  record's id as ``importId``.
- **By the worker** (202): a URL, or a larger document (kept in the imports bucket meanwhile). The
  answer is the record ``queued``; the worker (:func:`run_import`, fed by the imports queue) makes it
  ``running``, reports its ``stage`` and how many session changes are ``written`` of the ``total``,
  and finishes it ``done`` or ``failed``. A worker holds the import under a claim with a lease longer
  than the worker can run; one that dies leaves the lease to run out, and the queue's next delivery
  takes it again (at most :data:`MAX_ATTEMPTS` times; an error on the last one fails it). An import
  not finished by its deadline (:data:`DEADLINE` after it was asked for, beyond every retry) is
  ``failed`` from then on, whoever reads it: it is never left ``queued`` or ``running`` for ever.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from backchannel.conference.rules import all_sessions, organised_event
from backchannel.conference.schedule import plan as plans
from backchannel.conference.schedule.entries import Problem, ScheduleInvalid, document_problem
from backchannel.conference.schedule.fetch import MAX_DOCUMENT_BYTES, fetch_document
from backchannel.conference.schedule.model import (
    DONE,
    FAILED,
    FETCHING,
    QUEUED,
    READING,
    WRITING,
    ScheduleImport,
)
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import Conflict, FieldError, NotFound, PayloadTooLarge, ValidationFailed
from backchannel.core.ids import new_ulid
from backchannel.core.model import Caller, Input, iso, read_input, utcnow
from backchannel.core.observability import logger

SYNC_MAX_BYTES = 256 * 1024  # a document given in the request up to this size is imported at once
LEASE = dt.timedelta(seconds=180)  # a worker's hold: longer than its 120 s timeout (template.yaml)
MAX_ATTEMPTS = 3  # the imports queue's maxReceiveCount (template.yaml)
# later than every attempt could end: 3 deliveries 720 s apart (the visibility timeout), 120 s each
DEADLINE = dt.timedelta(minutes=30)


class ScheduleRepo(Protocol):
    def apply(self, plan: plans.Plan, progress: Callable[[int], None] | None = None) -> None:
        """Write the plan all or nothing; Conflict when sessions changed meanwhile."""

    def save_import(self, record: ScheduleImport) -> None: ...
    def get_import(self, import_id: str) -> ScheduleImport | None: ...
    def claim(self, import_id: str, claim: str, now: str, lease_until: str) -> ScheduleImport | None: ...
    def report(self, record: ScheduleImport) -> bool: ...
    def finish(self, record: ScheduleImport) -> bool: ...
    def expire(self, record: ScheduleImport, now: str) -> bool: ...


class Jobs(Protocol):
    """The worker's queue, and where a document given in the request waits for it."""

    def submit(self, import_id: str, document: str | None) -> None: ...
    def document(self, import_id: str) -> str: ...
    def discard(self, import_id: str) -> None: ...


def import_schedule(
    store: ConferenceRepo,
    imports: ScheduleRepo,
    caller: Caller,
    event_id: str,
    data: Input,
    *,
    jobs: Jobs | None = None,
    now: dt.datetime | None = None,
) -> ScheduleImport:
    """Import a schedule given as ``content`` or fetched from ``url``: the finished record when it
    ran at once, else the record ``queued`` for the worker (``jobs``)."""
    event = organised_event(store, event_id, caller)
    data = read_input(data)
    if ("url" in data) == ("content" in data):
        raise ValidationFailed(FieldError("url", "give either url or content"))
    moment = now or utcnow()
    record = ScheduleImport(
        id=new_ulid(),
        event_id=event.id,
        format=data["format"],
        url=data.get("url"),
        dry_run=data["dryRun"],
        remove_missing=data["removeMissing"],
        requested_by=caller.member_id,
        created_at=iso(moment),
    )
    content = data.get("content")
    size = len(content.encode("utf-8", errors="surrogatepass")) if content is not None else 0
    if content is not None and size <= SYNC_MAX_BYTES:
        return _run_at_once(store, imports, event, record, content)
    if size > MAX_DOCUMENT_BYTES:
        err = _too_large("content")
        _fail(record, err.problems)
        imports.save_import(record)
        raise _refusal(record, err)
    if jobs is None:
        raise RuntimeError("an import for the worker needs its jobs (queue and bucket)")
    record.status, record.deadline = QUEUED, iso(moment + DEADLINE)
    imports.save_import(record)
    try:
        jobs.submit(record.id, content)
    except Exception:
        _fail(record, [Problem("document", "import", "could not be handed to the worker: import again")])
        imports.save_import(record)
        raise
    return record


def _run_at_once(
    store: ConferenceRepo, imports: ScheduleRepo, event, record: ScheduleImport, text: str
) -> ScheduleImport:
    try:
        plan = _plan(store, event, record, text)
    except ScheduleInvalid as err:
        _fail(record, err.problems)
        imports.save_import(record)
        raise _refusal(record, err) from None
    if not record.dry_run:
        try:
            imports.apply(plan)
        except Conflict as err:
            _fail(record, [Problem("document", "sessions", err.detail)])
            imports.save_import(record)
            conflict = Conflict(err.detail)
            conflict.members = {"importId": record.id}
            raise conflict from None
    _done(record, plan)
    imports.save_import(record)
    return record


def _plan(store: ConferenceRepo, event, record: ScheduleImport, text: str) -> plans.Plan:
    """Read and check ``text`` whole, and plan it; :class:`ScheduleInvalid` when it cannot be."""
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise _too_large("content")
    record.format, entries = plans.read(record.format, text, event)
    existing = all_sessions(store, event.id)
    return plans.plan(event, existing, entries, remove_missing=record.remove_missing, now=record.created_at)


def _too_large(field: str) -> ScheduleInvalid:
    return document_problem(field, f"is larger than {MAX_DOCUMENT_BYTES} bytes", status=413)


def _done(record: ScheduleImport, plan: plans.Plan) -> None:
    record.status = DONE
    for name, count in plan.counts().items():
        setattr(record, name, count)


def _fail(record: ScheduleImport, problems: list[Problem]) -> None:
    record.status, record.errors = FAILED, problems


def _refusal(record: ScheduleImport, err: ScheduleInvalid) -> Exception:
    detail = f"import {record.id} failed, nothing was written: {err}"
    if err.status == 413:
        refusal: Exception = PayloadTooLarge(detail, field=err.problems[0].field)
    else:
        fields = [
            FieldError(p.field if p.entry == "document" else f"{p.entry}.{p.field}", p.message)
            for p in err.problems
        ]
        refusal = ValidationFailed(fields, detail=detail)
    refusal.members = {"importId": record.id}  # type: ignore[attr-defined]
    return refusal


# --------------------------------------------------------------------------------------------------
# the worker
# --------------------------------------------------------------------------------------------------


class LostClaim(Exception):
    """Another worker holds the import now: this one stops (what it wrote is undone)."""


def run_import(
    store: ConferenceRepo,
    imports: ScheduleRepo,
    jobs: Jobs,
    import_id: str,
    *,
    fetch: Callable[[str], str] = fetch_document,
    clock: Callable[[], dt.datetime] = utcnow,
) -> ScheduleImport | None:
    """Run a queued import to its end (the worker, once per delivery of its message): the finished
    record, or None when there is nothing to run (finished, held by a live worker, or too late).
    Raises on an unexpected error before the last attempt, so that the queue delivers it again."""
    claim = new_ulid()
    now = clock()
    record = imports.claim(import_id, claim, iso(now), iso(now + LEASE))
    if record is None:
        logger.info("schedule import not taken", extra={"import_id": import_id})
        return None

    def stage(name: str, written: int = 0, total: int = 0) -> None:
        moment = clock()
        record.stage, record.written, record.total = name, written, total
        record.lease_until, record.updated_at = iso(moment + LEASE), iso(moment)
        if not imports.report(record):
            raise LostClaim(import_id)

    try:
        event = store.get_event(record.event_id)
        if event is None:
            raise document_problem("eventId", "the event no longer exists")
        if record.url is not None:
            stage(FETCHING)
            text = fetch(record.url)
        else:
            text = jobs.document(record.id)
        stage(READING)
        plan = _plan(store, event, record, text)
        if not record.dry_run:
            total = sum(len(part) for part in (plan.create, plan.update, plan.remove))
            stage(WRITING, 0, total)
            imports.apply(plan, progress=lambda written: stage(WRITING, written, total))
        _done(record, plan)
    except ScheduleInvalid as err:
        _fail(record, err.problems)
    except Conflict as err:
        _fail(record, [Problem("document", "sessions", err.detail)])
    except LostClaim:
        logger.warning("schedule import taken by another worker", extra={"import_id": import_id})
        return None
    except Exception:
        if record.attempts < MAX_ATTEMPTS:
            raise  # the queue delivers it again; the next worker takes it once this lease is over
        logger.exception("schedule import failed on its last attempt", extra={"import_id": import_id})
        _fail(record, [Problem("document", "import", f"failed {record.attempts} times: import again")])
    record.stage, record.updated_at = None, iso(clock())
    if not imports.finish(record):
        logger.warning("schedule import finished by another worker", extra={"import_id": import_id})
        return None
    if record.url is None:
        jobs.discard(record.id)
    return record


def get_import(
    store: ConferenceRepo,
    imports: ScheduleRepo,
    caller: Caller,
    event_id: str,
    import_id: str,
    *,
    now: dt.datetime | None = None,
) -> ScheduleImport:
    """An import of the event (its organisers); one past its deadline unfinished is failed."""
    organised_event(store, event_id, caller)
    record = imports.get_import(import_id)
    if record is None or record.event_id != event_id:
        raise NotFound(f"schedule import {import_id} not found")
    return expired(imports, record, now or utcnow())


def expired(imports: ScheduleRepo, record: ScheduleImport, now: dt.datetime) -> ScheduleImport:
    """``record``, failed and stored so if it is unfinished past its deadline."""
    stamp = iso(now)
    if record.finished or record.deadline is None or record.deadline >= stamp:
        return record
    tries = f"its worker stopped {record.attempts} times" if record.attempts else "no worker took it"
    _fail(
        record, [Problem("document", "import", f"did not finish by {record.deadline}: {tries}; import again")]
    )
    record.claim, record.stage, record.updated_at = None, None, stamp
    if not imports.expire(record, stamp):  # finished just now
        return imports.get_import(record.id) or record
    return record
