"""The compile worker's side of one queue message: which domain function a message is for.

Messages (EventBridge envelopes from the packs rule, or the end-of-session schedule's own):

| detail-type | what happens |
|---|---|
| PackRequested | build that version of that pack (``service.build``) |
| SessionPackDue | the schedule fired: request the session's pack (``trigger``: session-ended) |
| SessionCreated, SessionChanged, SessionDeleted | create, move or delete the session's schedule |
| SummaryPublished | request the session's pack, and rebuild the packs of its event |
| NoteWithdrawn, NoteChanged, PostDeleted, QuestionHidden, PostHidden, NoteHidden | rebuild the packs holding the item, withdrawing the served version at once, and retract their publications' circulated editions |
| PostUnhidden, NoteUnhidden | rebuild the packs of the item's session and event (the served version stays meanwhile) |
| MemberErased, MemberConsentChanged | the same for every event the member belongs to |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from backchannel.conference.store import ConferenceRepo
from backchannel.core.model import utcnow
from backchannel.core.observability import logger
from backchannel.packs import service
from backchannel.packs.model import Target
from backchannel.packs.rules import (
    MEMBER_TRIGGERS,
    PACK_REQUESTED,
    REFRESHING_TRIGGERS,
    SESSION_ENDED,
    SESSION_SCHEDULE_EVENTS,
    WITHDRAWING_TRIGGERS,
)


@dataclass
class Worker:
    repo: service.PacksRepo
    publisher: service.Publisher
    storage: Callable[[], service.Storage]
    compile: service.Compile
    store: ConferenceRepo
    schedules: Callable[[], Any]
    grace_minutes: Callable[[], int]
    member_events: Callable[[str], Iterable[str]] = field(default=lambda _: ())
    now: Callable[[], dt.datetime] = utcnow
    # A withdrawal touched this pack: its publications' circulated editions must be rebuilt too.
    retract_publications: Callable[[str], Any] = field(default=lambda _: 0)
    # Before a build: re-check the target's collected posts upstream (backchannel.collect.refresh).
    refresh_collected: Callable[[Target], Any] = field(default=lambda _: None)


def _parse_time(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def handle(worker: Worker, detail_type: str, detail: dict) -> str:
    """Handle one message; returns what was done (for the log). Raises to have it retried."""
    if detail_type == PACK_REQUESTED:
        version = detail.get("version")
        if not detail.get("packId") or not isinstance(version, int):
            raise ValueError("PackRequested without packId and version")
        pack = worker.repo.get(str(detail["packId"]))
        if pack is not None and pack.target.kind != "personal":  # a personal pack holds no posts
            worker.refresh_collected(pack.target)
        outcome = service.build(
            worker.repo,
            worker.publisher,
            worker.storage(),
            worker.compile,
            str(detail["packId"]),
            version,
            now=worker.now(),
        )
        return f"build {outcome.status}"
    if detail_type == SESSION_ENDED:
        session = worker.store.get_session(str(detail.get("sessionId") or ""))
        if session is None:
            return "session gone"
        _request_session_pack(worker, session.id, session.event_id, "session-ended")
        return "session pack requested"
    if detail_type in SESSION_SCHEDULE_EVENTS:
        return _schedule(worker, detail_type, detail)
    if detail_type in WITHDRAWING_TRIGGERS or detail_type in REFRESHING_TRIGGERS:
        done = ""
        if detail_type == "SummaryPublished" and detail.get("sessionId") and detail.get("eventId"):
            _request_session_pack(
                worker, str(detail["sessionId"]), str(detail["eventId"]), "summary-published"
            )
            done = "session pack requested; "
            detail = {k: v for k, v in detail.items() if k != "sessionId"}  # its pack is asked for already
        asked = service.rebuild_affected(
            worker.repo,
            worker.publisher,
            detail_type,
            detail,
            member_events=worker.member_events if detail_type in MEMBER_TRIGGERS else lambda _: (),
            retract_publications=worker.retract_publications,
            now=worker.now(),
        )
        return f"{done}{len(asked)} packs rebuilt"
    logger.info("event not handled here", extra={"detail_type": detail_type})
    return "ignored"


def _request_session_pack(worker: Worker, session_id: str, event_id: str, trigger: str) -> None:
    target = Target("session", session_id, event_id)
    service.request(
        worker.repo, worker.publisher, target, requested_by=None, trigger=trigger, now=worker.now()
    )


def _schedule(worker: Worker, detail_type: str, detail: dict) -> str:
    session_id, event_id = str(detail.get("id") or ""), str(detail.get("eventId") or "")
    if not session_id:
        raise ValueError(f"{detail_type} without the session's id")
    if detail_type == "SessionDeleted":
        worker.schedules().cancel(session_id)
        return "schedule deleted"
    if detail_type == "SessionChanged" and "endsAt" not in (detail.get("changed") or []):
        return "schedule unchanged"
    ends = _parse_time(detail.get("endsAt"))
    if ends is None:
        raise ValueError(f"{detail_type} without a valid endsAt")
    due = ends + dt.timedelta(minutes=worker.grace_minutes())
    if due <= worker.now():
        worker.schedules().cancel(session_id)
        return "session over: no schedule"
    return "schedule set" if worker.schedules().upsert(session_id, event_id, due) else "no schedule group"
