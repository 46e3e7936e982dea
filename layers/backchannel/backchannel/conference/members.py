"""Members: their profile (created on first authenticated use) and their attendance at events."""

from __future__ import annotations

import dataclasses
import datetime as dt

from backchannel.conference.model import ATTENDEE, Event, Link, Member, Membership
from backchannel.conference.rules import visible_event
from backchannel.conference.store import ConferenceRepo
from backchannel.core.characters import without_invisible_format
from backchannel.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from backchannel.core.model import Caller, Page, iso, utcnow


def ensure_member(store: ConferenceRepo, caller: Caller, *, now: dt.datetime | None = None) -> Member:
    member = store.get_member(caller.member_id)
    if member is not None:
        return member
    stamp = iso(now or utcnow())
    name = without_invisible_format(caller.username or (caller.email or "").split("@")[0]) or "member"
    return store.create_member_if_absent(
        Member(id=caller.member_id, display_name=name[:100], created_at=stamp, updated_at=stamp)
    )


def update_me(
    store: ConferenceRepo, caller: Caller, changes: dict, *, now: dt.datetime | None = None
) -> Member:
    if "displayName" in changes and changes["displayName"] is None:
        raise ValidationFailed(FieldError("displayName", "must not be null"))
    before = ensure_member(store, caller)
    values: dict = {}
    if "displayName" in changes:
        values["display_name"] = changes["displayName"]
    if "handle" in changes:
        values["handle"] = changes["handle"]
    if "bio" in changes:
        values["bio"] = changes["bio"]
    if changes.get("packConsent") is not None:
        values["pack_consent"] = changes["packConsent"]
    if "links" in changes:
        values["links"] = [Link(title=x["title"], url=x["url"]) for x in changes["links"] or []]
    after = dataclasses.replace(before, **values, updated_at=iso(now or utcnow()))
    store.update_member(before, after)
    return after


def join_event(
    store: ConferenceRepo,
    caller: Caller,
    event_id: str,
    member_id: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> Membership:
    """Join an event yourself (public and unlisted), or, as its organiser, add another member
    (the only way into a private event). Joining yourself accepts the event's code of conduct, if it
    has one: the acceptance (its URL, and when) is recorded on the membership."""
    ensure_member(store, caller)
    target = member_id or caller.member_id
    event, membership = visible_event(store, event_id, caller, need_membership=target != caller.member_id)
    if target != caller.member_id:
        if membership is None or not membership.is_organiser:
            raise Forbidden("only the event's organisers may add other members")
        if store.get_member(target) is None:
            raise ValidationFailed(FieldError("memberId", f"no member {target}"))
    elif event.visibility == "private" and (membership is None or not membership.roles):
        raise NotFound(f"event {event_id} not found")
    conduct = event.code_of_conduct_url if target == caller.member_id else None
    return store.add_role(event_id, target, ATTENDEE, iso(now or utcnow()), conduct_url=conduct)


def leave_event(store: ConferenceRepo, caller: Caller, event_id: str) -> None:
    visible_event(store, event_id, caller, need_membership=False)
    store.remove_role(event_id, caller.member_id, ATTENDEE)


def star_session(
    store: ConferenceRepo, caller: Caller, session_id: str, *, now: dt.datetime | None = None
) -> dict:
    """Star a session you may see: it goes into your personal pack (starring twice is harmless)."""
    from backchannel.conference.rules import visible_session

    session, _ = visible_session(store, session_id, caller)
    ensure_member(store, caller)  # an authenticated use: the profile exists from now on
    stamp = iso(now or utcnow())
    store.star_session(caller.member_id, session, stamp)
    return {"sessionId": session.id, "eventId": session.event_id, "starredAt": stamp}


def unstar_session(store: ConferenceRepo, caller: Caller, session_id: str) -> None:
    from backchannel.conference.rules import visible_session

    session, _ = visible_session(store, session_id, caller)
    store.unstar_session(caller.member_id, session)


def my_events(
    store: ConferenceRepo, caller: Caller, limit: int, cursor: str | None
) -> Page[tuple[Membership, Event]]:
    page = store.list_memberships(caller.member_id, limit, cursor)
    events = store.get_events([m.event_id for m in page.items])
    return Page([(m, events[m.event_id]) for m in page.items if m.event_id in events], page.next_cursor)
