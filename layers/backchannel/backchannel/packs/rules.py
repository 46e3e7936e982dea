"""Packs: who may ask for them and read them, and which domain events make them stale. Pure: no boto3,
no event shapes."""

from __future__ import annotations

from backchannel.conference.model import ATTENDEE, ORGANISER, Event
from backchannel.conference.rules import (
    hidden_as,
    membership_of,
    organised_event,
    visible_event,
    visible_session,
)
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import Forbidden, NotFound
from backchannel.core.model import Caller
from backchannel.packs.model import Pack, Target

# Domain events after which the packs holding the item are rebuilt, and the served version withdrawn
# at once (the change takes something away: it must not stay downloadable until the rebuild is done).
WITHDRAWING_TRIGGERS = frozenset(
    {
        "NoteWithdrawn",
        "NoteChanged",
        "PostDeleted",
        "QuestionHidden",
        "MemberErased",
        "MemberConsentChanged",
        "PostHidden",  # moderation: an organiser hid it
        "NoteHidden",
    }
)


# Domain events after which packs are rebuilt, the current version staying served meanwhile.
REFRESHING_TRIGGERS = frozenset({"SummaryPublished", "PostUnhidden", "NoteUnhidden"})


# Domain events about posts and questions, which personal packs never hold.
NOT_PERSONAL = frozenset({"PostDeleted", "QuestionHidden", "PostHidden", "PostUnhidden"})


MEMBER_TRIGGERS = frozenset({"MemberErased", "MemberConsentChanged"})


SESSION_SCHEDULE_EVENTS = frozenset({"SessionCreated", "SessionChanged", "SessionDeleted"})


PACK_REQUESTED = "PackRequested"


SESSION_ENDED = "SessionPackDue"  # what the end-of-session schedule sends to the queue


def session_target(store: ConferenceRepo, caller: Caller, session_id: str) -> Target:
    """A session's pack may be requested by its event's organisers (404 if unseen, 403 otherwise)."""
    session = store.get_session(session_id)
    if session is None:
        raise NotFound(f"session {session_id} not found")
    with hidden_as(f"session {session_id}"):
        organised_event(store, session.event_id, caller)
    return Target("session", session_id, session.event_id)


def event_target(store: ConferenceRepo, caller: Caller, event_id: str) -> Target:
    """An event's pack may be requested by its organisers."""
    organised_event(store, event_id, caller)
    return Target("event", event_id, event_id)


def personal_target(store: ConferenceRepo, caller: Caller, event_id: str) -> Target:
    """Any member may request their own pack of an event they attend or organise."""
    _, membership = visible_event(store, event_id, caller)
    if membership is None or not (membership.roles & {ATTENDEE, ORGANISER}):
        raise Forbidden("join the event first: personal packs are for its attendees and organisers")
    return Target("personal", event_id, event_id, caller.member_id)


def readable(store: ConferenceRepo, caller: Caller | None, pack: Pack | None, pack_id: str) -> Event:
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
    with hidden_as(f"pack {pack_id}"):
        event, _ = visible_event(store, pack.target.event_id, caller, need_membership=False)
    return event


def visible_session_event(store: ConferenceRepo, caller: Caller | None, session_id: str) -> Event:
    _, event = visible_session(store, session_id, caller)
    return event


def is_organiser(store: ConferenceRepo, event_id: str, caller: Caller | None) -> bool:
    membership = membership_of(store, event_id, caller)
    return membership is not None and ORGANISER in membership.roles


def is_member(store: ConferenceRepo, event_id: str, caller: Caller | None) -> bool:
    membership = membership_of(store, event_id, caller)
    return membership is not None and bool(membership.roles & {ATTENDEE, ORGANISER})
