"""Items of conference events, sessions, memberships, members, stars and uniqueness claims.

| item | pk | sk | gsi1pk | gsi1sk |
|---|---|---|---|---|
| event | EVENT#<id> | EVENT | PUBLIC#EVENTS (public only) | <endsOn>#<id> |
| event hashtag claim | EVENTTAG#<lower tag> | EVENTTAG | | |
| membership (roles) | EVENT#<id> | MEMBER#<memberId> | MEMBER#<memberId>#EVENTS | <eventId> |
| session | SESSION#<id> | SESSION | EVENT#<eventId>#SESSIONS | <startsAt UTC>#<id> |
| session hashtag claim | EVENT#<id> | SESSIONTAG#<lower tag> | | |
| member | MEMBER#<id> | PROFILE | | |
| handle claim | HANDLE#<lower handle> | HANDLE | | |
| star | MEMBER#<memberId> | STAR#<eventId>#<sessionId> | | |
"""

from __future__ import annotations

import datetime as dt

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from backchannel.conference.model import Event, Link, Member, Membership, Session, Speaker
from backchannel.core.dynamo.table import Item


class EventItem(Item, discriminator="Event"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    hashtag = UnicodeAttribute()
    starts_on = UnicodeAttribute(attr_name="startsOn")
    ends_on = UnicodeAttribute(attr_name="endsOn")
    timezone = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    visibility = UnicodeAttribute()
    code_of_conduct_url = UnicodeAttribute(null=True, attr_name="codeOfConductUrl")
    created_by = UnicodeAttribute(attr_name="createdBy")
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    version = NumberAttribute(default=1)
    feed_shards = NumberAttribute(null=True, attr_name="feedShards")


class ClaimItem(Item, discriminator="Claim"):
    """A uniqueness claim (event hashtag, session hashtag, handle): written in the same transaction."""

    owner_id = UnicodeAttribute(attr_name="ownerId")


class MembershipItem(Item, discriminator="Membership"):
    event_id = UnicodeAttribute(attr_name="eventId")
    member_id = UnicodeAttribute(attr_name="memberId")
    roles = UnicodeSetAttribute()
    since = UnicodeAttribute()


class SpeakerAttribute(MapAttribute):
    name = UnicodeAttribute()
    link = UnicodeAttribute(null=True)


class SessionItem(Item, discriminator="Session"):
    id = UnicodeAttribute()
    event_id = UnicodeAttribute(attr_name="eventId")
    title = UnicodeAttribute()
    abstract = UnicodeAttribute(null=True)
    speakers = ListAttribute(of=SpeakerAttribute, default=list)
    room = UnicodeAttribute(null=True)
    track = UnicodeAttribute(null=True)
    starts_at = UnicodeAttribute(attr_name="startsAt")
    ends_at = UnicodeAttribute(attr_name="endsAt")
    hashtag = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    version = NumberAttribute(default=1)


class LinkAttribute(MapAttribute):
    title = UnicodeAttribute()
    url = UnicodeAttribute()


class MemberItem(Item, discriminator="Member"):
    id = UnicodeAttribute()
    display_name = UnicodeAttribute(attr_name="displayName")
    handle = UnicodeAttribute(null=True)
    bio = UnicodeAttribute(null=True)
    links = ListAttribute(of=LinkAttribute, default=list)
    pack_consent = BooleanAttribute(null=True, attr_name="packConsent")
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")


class StarItem(Item, discriminator="Star"):
    """A member's star on a session (pk MEMBER#<memberId>, sk STAR#<eventId>#<sessionId>)."""

    member_id = UnicodeAttribute(attr_name="memberId")
    event_id = UnicodeAttribute(attr_name="eventId")
    session_id = UnicodeAttribute(attr_name="sessionId")
    starred_at = UnicodeAttribute(attr_name="starredAt")


# ---------------------------------------------------------------------------------------------------
# keys and converters (items <-> conference.model)
# ---------------------------------------------------------------------------------------------------


PUBLIC_EVENTS = "PUBLIC#EVENTS"


def event_pk(event_id: str) -> str:
    return f"EVENT#{event_id}"


def session_index_pk(event_id: str) -> str:
    return f"EVENT#{event_id}#SESSIONS"


def member_events_pk(member_id: str) -> str:
    return f"MEMBER#{member_id}#EVENTS"


def utc(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_event(item: EventItem) -> Event:
    return Event(
        id=item.id,
        name=item.name,
        hashtag=item.hashtag,
        starts_on=dt.date.fromisoformat(item.starts_on),
        ends_on=dt.date.fromisoformat(item.ends_on),
        timezone=item.timezone,
        visibility=item.visibility,
        description=item.description,
        code_of_conduct_url=item.code_of_conduct_url,
        created_by=item.created_by,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
        feed_shards=int(item.feed_shards or 1),
    )


def event_item(event: Event) -> EventItem:
    public = event.visibility == "public"
    return EventItem(
        pk=event_pk(event.id),
        sk="EVENT",
        gsi1pk=PUBLIC_EVENTS if public else None,
        gsi1sk=f"{event.ends_on.isoformat()}#{event.id}" if public else None,
        id=event.id,
        name=event.name,
        hashtag=event.hashtag,
        starts_on=event.starts_on.isoformat(),
        ends_on=event.ends_on.isoformat(),
        timezone=event.timezone,
        visibility=event.visibility,
        description=event.description,
        code_of_conduct_url=event.code_of_conduct_url,
        created_by=event.created_by,
        created_at=event.created_at,
        updated_at=event.updated_at,
        version=event.version,
        feed_shards=event.feed_shards,
    )


def event_tag(tag: str, event_id: str) -> ClaimItem:
    return ClaimItem(pk=f"EVENTTAG#{tag.lower()}", sk="EVENTTAG", owner_id=event_id)


def to_session(item: SessionItem) -> Session:
    return Session(
        id=item.id,
        event_id=item.event_id,
        title=item.title,
        abstract=item.abstract,
        speakers=[Speaker(name=s.name, link=s.link) for s in item.speakers or []],
        room=item.room,
        track=item.track,
        starts_at=dt.datetime.fromisoformat(item.starts_at),
        ends_at=dt.datetime.fromisoformat(item.ends_at),
        hashtag=item.hashtag,
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=int(item.version),
    )


def session_item(session: Session) -> SessionItem:
    return SessionItem(
        pk=f"SESSION#{session.id}",
        sk="SESSION",
        gsi1pk=session_index_pk(session.event_id),
        gsi1sk=f"{utc(session.starts_at)}#{session.id}",
        id=session.id,
        event_id=session.event_id,
        title=session.title,
        abstract=session.abstract,
        speakers=[SpeakerAttribute(name=s.name, link=s.link) for s in session.speakers],
        room=session.room,
        track=session.track,
        starts_at=session.starts_at.isoformat(),
        ends_at=session.ends_at.isoformat(),
        hashtag=session.hashtag,
        created_at=session.created_at,
        updated_at=session.updated_at,
        version=session.version,
    )


def session_tag(event_id: str, tag: str, session_id: str) -> ClaimItem:
    return ClaimItem(pk=event_pk(event_id), sk=f"SESSIONTAG#{tag.lower()}", owner_id=session_id)


def to_membership(item: MembershipItem) -> Membership:
    return Membership(item.event_id, item.member_id, set(item.roles or ()), item.since)


def to_member(item: MemberItem) -> Member:
    return Member(
        id=item.id,
        display_name=item.display_name,
        handle=item.handle,
        bio=item.bio,
        links=[Link(title=x.title, url=x.url) for x in item.links or []],
        pack_consent=item.pack_consent is not False,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def member_item(member: Member) -> MemberItem:
    return MemberItem(
        pk=f"MEMBER#{member.id}",
        sk="PROFILE",
        id=member.id,
        display_name=member.display_name,
        handle=member.handle,
        bio=member.bio,
        links=[LinkAttribute(title=x.title, url=x.url) for x in member.links],
        pack_consent=member.pack_consent,
        created_at=member.created_at,
        updated_at=member.updated_at,
    )


def handle_claim(handle: str, member_id: str) -> ClaimItem:
    return ClaimItem(pk=f"HANDLE#{handle.lower()}", sk="HANDLE", owner_id=member_id)
