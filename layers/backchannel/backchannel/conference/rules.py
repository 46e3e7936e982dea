"""Events, their organisers and sessions: who may do what, and what makes a change valid."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator

from backchannel.conference.model import ATTENDEE, ORGANISER, Event, Link, Membership, Session, Speaker
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from backchannel.core.ids import new_ulid
from backchannel.core.model import Caller, Input, Page, iso, read_input, utcnow

# --------------------------------------------------------------------------------------------------
# visibility and roles
# --------------------------------------------------------------------------------------------------


def membership_of(store: ConferenceRepo, event_id: str, caller: Caller | None) -> Membership | None:
    return store.get_membership(event_id, caller.member_id) if caller else None


def can_view(event: Event, membership: Membership | None) -> bool:
    """Public and unlisted events: anyone. Private events: their organisers and attendees."""
    if event.visibility in ("public", "unlisted"):
        return True
    return membership is not None and bool(membership.roles & {ORGANISER, ATTENDEE})


def visible_event(
    store: ConferenceRepo, event_id: str, caller: Caller | None, *, need_membership: bool = True
) -> tuple[Event, Membership | None]:
    """The event if the caller may see it; otherwise the same 404 as for an unknown id (no leaks).
    The caller's membership is read when visibility depends on it (private events) or when asked
    for; otherwise None is returned without a read."""
    event = store.get_event(event_id)
    wanted = event is not None and (need_membership or event.visibility == "private")
    membership = membership_of(store, event_id, caller) if wanted else None
    if event is None or not can_view(event, membership):
        raise NotFound(f"event {event_id} not found")
    return event, membership


@contextlib.contextmanager
def hidden_as(what: str) -> Iterator[None]:
    """Inside, an event the caller may not see hides ``what`` of it too (``"session S1"``): the 404
    names that, as for an unknown id."""
    try:
        yield
    except NotFound:
        raise NotFound(f"{what} not found") from None


def organised_event(store: ConferenceRepo, event_id: str, caller: Caller) -> Event:
    """The event if the caller organises it: 404 if they may not see it, 403 if they only attend."""
    event, membership = visible_event(store, event_id, caller)
    if membership is None or not membership.is_organiser:
        raise Forbidden("only the event's organisers may do this")
    return event


def writable_event(
    store: ConferenceRepo,
    caller: Caller,
    event_id: str,
    *,
    window_days: int,
    now: dt.datetime,
    need_membership: bool = False,
) -> tuple[Event, Membership | None]:
    """The event if the caller may write to it now. Public and unlisted events: any signed-in member
    (remote members take part too); private events: their organisers and attendees. Writing closes
    ``window_days`` after the event's last day, in its time zone; a member muted there writes nothing."""
    event, membership = visible_event(store, event_id, caller, need_membership=need_membership)
    closes = event.closes_at + dt.timedelta(days=window_days)
    if now >= closes:
        raise Conflict(f"event {event.id} closed for writing on {iso(closes)}")
    mute = store.get_mute(event.id, caller.member_id)
    if mute is not None and mute.active(iso(now)):
        until = f"until {mute.until}" if mute.until else "until an organiser lifts it"
        raise Forbidden(f"an organiser muted you in this event {until}: you may read but not write here")
    return event, membership


# --------------------------------------------------------------------------------------------------
# events
# --------------------------------------------------------------------------------------------------


def _check_dates(starts_on: dt.date, ends_on: dt.date) -> None:
    if ends_on < starts_on:
        raise ValidationFailed(FieldError("endsOn", "must be on or after startsOn"))
    if (ends_on - starts_on).days > 366:
        raise ValidationFailed(FieldError("endsOn", "an event lasts at most a year"))


def create_event(
    store: ConferenceRepo, caller: Caller, data: Input, *, now: dt.datetime | None = None
) -> Event:
    if not caller.may_create_events:
        raise Forbidden("only members of the organisers group may create events")
    data = read_input(data)
    _check_dates(data["startsOn"], data["endsOn"])
    stamp = iso(now or utcnow())
    event = Event(
        id=new_ulid(),
        name=data["name"],
        hashtag=data["hashtag"],
        starts_on=data["startsOn"],
        ends_on=data["endsOn"],
        timezone=data["timezone"],
        visibility=data.get("visibility") or "public",
        description=data.get("description"),
        code_of_conduct_url=data.get("codeOfConductUrl"),
        hold_posts=bool(data.get("holdPosts")),
        feed_shards=data.get("feedShards") or 4,
        created_by=caller.member_id,
        created_at=stamp,
        updated_at=stamp,
    )
    store.create_event(event, Membership(event.id, caller.member_id, {ORGANISER}, stamp))
    return event


_EVENT_FIELDS = {
    "name": "name",
    "hashtag": "hashtag",
    "startsOn": "starts_on",
    "endsOn": "ends_on",
    "timezone": "timezone",
    "description": "description",
    "visibility": "visibility",
    "codeOfConductUrl": "code_of_conduct_url",
    "feedShards": "feed_shards",
    "holdPosts": "hold_posts",
}
_REQUIRED_EVENT_FIELDS = {
    "name",
    "hashtag",
    "startsOn",
    "endsOn",
    "timezone",
    "visibility",
    "feedShards",
    "holdPosts",
}


def update_event(
    store: ConferenceRepo, caller: Caller, event_id: str, changes: Input, *, now: dt.datetime | None = None
) -> Event:
    before = organised_event(store, event_id, caller)
    changes = read_input(changes)
    nulls = [
        FieldError(k, "must not be null")
        for k in changes
        if changes[k] is None and k in _REQUIRED_EVENT_FIELDS
    ]
    if nulls:
        raise ValidationFailed(nulls)
    after = dataclasses.replace(
        before,
        **{_EVENT_FIELDS[k]: v for k, v in changes.items()},
        updated_at=iso(now or utcnow()),
        version=before.version + 1,
    )
    _check_dates(after.starts_on, after.ends_on)
    if after.feed_shards < before.feed_shards:
        # posts stay in the shard they were written to; fewer shards would hide them from readers
        raise ValidationFailed(FieldError("feedShards", f"may only grow (it is {before.feed_shards})"))
    if (after.opens_at, after.closes_at) != (before.opens_at, before.closes_at):
        outside = [s.title for s in all_sessions(store, event_id) if not fits(after, s.starts_at, s.ends_at)]
        if outside:
            raise Conflict(
                "the new dates would leave sessions outside the event: " + ", ".join(outside[:5]),
                sessions=outside,
            )
    store.update_event(before, after)
    return after


def list_events(store: ConferenceRepo, today: dt.date, limit: int, cursor: str | None) -> Page[Event]:
    """Current and upcoming public events, soonest-ending first. A day of slack covers every time zone."""
    return store.list_public_events(today - dt.timedelta(days=1), limit, cursor)


def add_organiser(store: ConferenceRepo, caller: Caller, event_id: str, data: Input) -> Membership:
    organised_event(store, event_id, caller)
    member_id = read_input(data)["memberId"]
    if store.get_member(member_id) is None:
        raise ValidationFailed(FieldError("memberId", f"no member {member_id}"))
    return store.add_role(event_id, member_id, ORGANISER, iso(utcnow()))


# --------------------------------------------------------------------------------------------------
# sessions
# --------------------------------------------------------------------------------------------------


def fits(event: Event, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    return event.opens_at <= starts_at and ends_at <= event.closes_at


def _check_times(event: Event, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    errors = []
    if ends_at <= starts_at:
        errors.append(FieldError("endsAt", "must be after startsAt"))
    if starts_at < event.opens_at or starts_at >= event.closes_at:
        errors.append(
            FieldError("startsAt", f"must be within the event ({event.starts_on} to {event.ends_on})")
        )
    if ends_at > event.closes_at or ends_at <= event.opens_at:
        errors.append(
            FieldError("endsAt", f"must be within the event ({event.starts_on} to {event.ends_on})")
        )
    if errors:
        raise ValidationFailed(errors)


def _speakers(raw: list[dict] | None) -> list[Speaker]:
    return [Speaker(name=s["name"], link=s.get("link")) for s in raw or []]


def _links(raw: list[dict] | None) -> list[Link]:
    return [Link(title=x["title"], url=x["url"]) for x in raw or []]


def create_session(
    store: ConferenceRepo, caller: Caller, event_id: str, data: Input, *, now: dt.datetime | None = None
) -> Session:
    event = organised_event(store, event_id, caller)
    data = read_input(data)
    _check_times(event, data["startsAt"], data["endsAt"])
    stamp = iso(now or utcnow())
    session = Session(
        id=new_ulid(),
        event_id=event.id,
        title=data["title"],
        abstract=data.get("abstract"),
        speakers=_speakers(data.get("speakers")),
        room=data.get("room"),
        track=data.get("track"),
        starts_at=data["startsAt"],
        ends_at=data["endsAt"],
        hashtag=data.get("hashtag"),
        links=_links(data.get("links")),
        created_at=stamp,
        updated_at=stamp,
    )
    store.create_session(session)
    return session


def visible_session(store: ConferenceRepo, session_id: str, caller: Caller | None) -> tuple[Session, Event]:
    session = store.get_session(session_id)
    if session is None:
        raise NotFound(f"session {session_id} not found")
    with hidden_as(f"session {session_id}"):
        event, _ = visible_event(store, session.event_id, caller, need_membership=False)
    return session, event


def organised_session(store: ConferenceRepo, session_id: str, caller: Caller) -> tuple[Session, Event]:
    session, _ = visible_session(store, session_id, caller)
    return session, organised_event(store, session.event_id, caller)


_SESSION_FIELDS = {
    "title": "title",
    "abstract": "abstract",
    "room": "room",
    "track": "track",
    "startsAt": "starts_at",
    "endsAt": "ends_at",
    "hashtag": "hashtag",
}


def update_session(
    store: ConferenceRepo, caller: Caller, session_id: str, changes: Input, *, now: dt.datetime | None = None
) -> Session:
    before, event = organised_session(store, session_id, caller)
    changes = read_input(changes)
    nulls = [
        FieldError(k, "must not be null")
        for k in ("title", "startsAt", "endsAt")
        if k in changes and changes[k] is None
    ]
    if nulls:
        raise ValidationFailed(nulls)
    values = {_SESSION_FIELDS[k]: v for k, v in changes.items() if k in _SESSION_FIELDS}
    if "speakers" in changes:
        values["speakers"] = _speakers(changes["speakers"])
    if "links" in changes:
        values["links"] = _links(changes["links"])
    after = dataclasses.replace(before, **values, updated_at=iso(now or utcnow()), version=before.version + 1)
    _check_times(event, after.starts_at, after.ends_at)
    store.update_session(before, after)
    return after


def delete_session(store: ConferenceRepo, caller: Caller, session_id: str) -> None:
    session, _ = organised_session(store, session_id, caller)
    store.delete_session(session)


def list_sessions(
    store: ConferenceRepo, caller: Caller | None, event_id: str, limit: int, cursor: str | None
) -> Page[Session]:
    visible_event(store, event_id, caller, need_membership=False)
    return store.list_sessions(event_id, limit, cursor)


def all_sessions(store: ConferenceRepo, event_id: str) -> list[Session]:
    sessions: list[Session] = []
    cursor = None
    while True:
        page = store.list_sessions(event_id, 100, cursor)
        sessions.extend(page.items)
        if not page.next_cursor:
            return sessions
        cursor = page.next_cursor
