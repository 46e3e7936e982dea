"""Packs: what they are of, who may ask for them and read them, and which domain events make them
stale. Pure: no boto3, no event shapes.

A pack is of a *target*: a session, an event, or one member's personal view of an event. There is one
pack per target; each build of it is a new *version*, and only the newest ready version is served.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backchannel.domain.events import membership_of, organised_event, visible_event
from backchannel.domain.model import ATTENDEE, ORGANISER, Caller, Event
from backchannel.domain.store import Store
from backchannel.errors import Forbidden, NotFound

KINDS = ("session", "event", "personal")
STATUSES = ("queued", "building", "ready", "failed")
ACTIVE = ("queued", "building")

# Domain events after which the packs holding the item are rebuilt, and the served version withdrawn
# at once (the change takes something away: it must not stay downloadable until the rebuild is done).
WITHDRAWING_TRIGGERS = frozenset(
    {"NoteWithdrawn", "NoteChanged", "PostDeleted", "QuestionHidden", "MemberErased", "MemberConsentChanged"}
)
# Domain events after which packs are rebuilt, the current version staying served meanwhile.
REFRESHING_TRIGGERS = frozenset({"SummaryPublished"})
MEMBER_TRIGGERS = frozenset({"MemberErased", "MemberConsentChanged"})
SESSION_SCHEDULE_EVENTS = frozenset({"SessionCreated", "SessionChanged", "SessionDeleted"})
PACK_REQUESTED = "PackRequested"
SESSION_ENDED = "SessionPackDue"  # what the end-of-session schedule sends to the queue


@dataclass(frozen=True)
class Target:
    """What a pack is of: ``kind`` and ``target_id`` (session, event), plus the member of a personal
    pack (whose ``target_id`` is the event's id)."""

    kind: str
    target_id: str
    event_id: str
    member_id: str | None = None

    @property
    def key(self) -> str:
        base = f"{self.kind}#{self.target_id}"
        return f"{base}#{self.member_id}" if self.member_id else base


@dataclass(frozen=True)
class Artifact:
    """One compiled file of one version: where it is and what it is."""

    format: str
    content_type: str
    key: str
    size: int
    sha256: str

    def to_json(self) -> dict:
        return {"format": self.format, "contentType": self.content_type, "size": self.size}

    def to_record(self) -> dict:
        """As it is kept in an item's map (the pack's files, a publication's edition)."""
        return {"contentType": self.content_type, "key": self.key, "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_record(cls, fmt: str, record: dict) -> Artifact:
        return cls(fmt, record["contentType"], record["key"], int(record["size"]), record["sha256"])


@dataclass
class Pack:
    id: str
    target: Target
    status: str
    version: int
    created_at: str
    updated_at: str
    requested_by: str | None = None
    dirty: bool = False
    ready_version: int | None = None
    bucket: str | None = None
    artifacts: dict[str, Artifact] = field(default_factory=dict)
    progress: dict[str, Any] | None = None
    reason: str | None = None
    heartbeat_at: str | None = None

    @property
    def served(self) -> bool:
        return self.ready_version is not None and bool(self.artifacts)

    def to_json(self, *, public_event: bool = False) -> dict:
        body: dict[str, Any] = {
            "id": self.id,
            "kind": self.target.kind,
            "targetId": self.target.target_id,
            "eventId": self.target.event_id,
            "memberId": self.target.member_id,
            "status": self.status,
            "version": self.version,
            "readyVersion": self.ready_version if self.served else None,
            "formats": sorted(self.artifacts) if self.served else [],
            "artifacts": [a.to_json() for _, a in sorted(self.artifacts.items())] if self.served else [],
            "progress": self.progress if self.status == "building" else None,
            "reason": self.reason if self.status == "failed" else None,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "downloadUrl": f"/packs/{self.id}/download" if self.served else None,
        }
        # A public event's packs have a stable address anyone may share.
        body["publicUrl"] = (
            f"/packs/{self.id}/download?format=html"
            if public_event and self.target.kind != "personal" and self.served
            else None
        )
        return body


# ---------------------------------------------------------------------------------------------------
# who may do what
# ---------------------------------------------------------------------------------------------------


def session_target(store: Store, caller: Caller, session_id: str) -> Target:
    """A session's pack may be requested by its event's organisers (404 if unseen, 403 otherwise)."""
    session = store.get_session(session_id)
    if session is None:
        raise NotFound(f"session {session_id} not found")
    try:
        organised_event(store, session.event_id, caller)
    except NotFound:
        raise NotFound(f"session {session_id} not found") from None
    return Target("session", session_id, session.event_id)


def event_target(store: Store, caller: Caller, event_id: str) -> Target:
    """An event's pack may be requested by its organisers."""
    organised_event(store, event_id, caller)
    return Target("event", event_id, event_id)


def personal_target(store: Store, caller: Caller, event_id: str) -> Target:
    """Any member may request their own pack of an event they attend or organise."""
    _, membership = visible_event(store, event_id, caller)
    if membership is None or not (membership.roles & {ATTENDEE, ORGANISER}):
        raise Forbidden("join the event first: personal packs are for its attendees and organisers")
    return Target("personal", event_id, event_id, caller.member_id)


def readable(store: Store, caller: Caller | None, pack: Pack | None, pack_id: str) -> Event:
    """The pack's event if the caller may read the pack; the same 404 as for an unknown id otherwise.

    Session and event packs: as the event (public and unlisted: anyone; private: its members).
    Personal packs: their owner only."""
    if pack is None:
        raise NotFound(f"pack {pack_id} not found")
    if pack.target.kind == "personal":
        if caller is None or caller.member_id != pack.target.member_id:
            raise NotFound(f"pack {pack_id} not found")
        event = store.get_event(pack.target.event_id)
        if event is None:
            raise NotFound(f"pack {pack_id} not found")
        return event
    try:
        event, _ = visible_event(store, pack.target.event_id, caller, need_membership=False)
    except NotFound:
        raise NotFound(f"pack {pack_id} not found") from None
    return event


def visible_session_event(store: Store, caller: Caller | None, session_id: str) -> Event:
    session = store.get_session(session_id)
    if session is None:
        raise NotFound(f"session {session_id} not found")
    try:
        event, _ = visible_event(store, session.event_id, caller, need_membership=False)
    except NotFound:
        raise NotFound(f"session {session_id} not found") from None
    return event


def is_organiser(store: Store, event_id: str, caller: Caller | None) -> bool:
    membership = membership_of(store, event_id, caller)
    return membership is not None and ORGANISER in membership.roles


def is_member(store: Store, event_id: str, caller: Caller | None) -> bool:
    membership = membership_of(store, event_id, caller)
    return membership is not None and bool(membership.roles & {ATTENDEE, ORGANISER})
