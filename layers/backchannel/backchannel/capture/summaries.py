"""Organiser summaries of a session: drafts, and published versions (each publication a new one)."""

from __future__ import annotations

import datetime as dt

from backchannel.capture.model import Summary
from backchannel.capture.store import CaptureRepo
from backchannel.conference.rules import membership_of, visible_session
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import Forbidden, NotFound
from backchannel.core.model import Caller, Input, Page, iso, read_input, utcnow


def put_summary(
    store: ConferenceRepo,
    capture: CaptureRepo,
    caller: Caller,
    session_id: str,
    data: Input,
    *,
    now: dt.datetime | None = None,
) -> Summary:
    """Organisers write a draft, or publish: every publication is a new version."""
    session, event = visible_session(store, session_id, caller)
    membership = store.get_membership(event.id, caller.member_id)
    if membership is None or not membership.is_organiser:
        raise Forbidden("only the event's organisers may write its summaries")
    from backchannel.capture.rules import note_fields  # rules re-exports this module's functions

    data = read_input(data)
    body = note_fields({"body": data["body"]})["body"]
    latest = capture.latest_summary(session.id)
    stamp = iso(now or utcnow())
    summary = Summary(
        session_id=session.id,
        event_id=event.id,
        version=(latest.version if latest else 0) + 1,
        status=data["status"],
        body=body,
        author_id=caller.member_id,
        updated_at=stamp,
        published_at=stamp if data["status"] == "published" else None,
    )
    if summary.status == "published":
        capture.publish_summary(summary)
    else:
        capture.save_summary_draft(summary)
    return summary


def get_summary(
    store: ConferenceRepo,
    capture: CaptureRepo,
    caller: Caller | None,
    session_id: str,
    *,
    draft: bool = False,
) -> Summary:
    session, event = visible_session(store, session_id, caller)
    if draft:
        membership = membership_of(store, event.id, caller)
        if membership is None or not membership.is_organiser:
            raise Forbidden("only the event's organisers may read drafts")
        found = capture.summary_draft(session.id)
    else:
        found = capture.latest_summary(session.id)
    if found is None:
        raise NotFound(f"session {session_id} has no {'draft' if draft else 'published'} summary")
    return found


def summary_versions(
    store: ConferenceRepo,
    capture: CaptureRepo,
    caller: Caller | None,
    session_id: str,
    limit: int,
    cursor: str | None,
) -> Page[Summary]:
    visible_session(store, session_id, caller)
    return capture.summary_versions(session_id, limit, cursor)
