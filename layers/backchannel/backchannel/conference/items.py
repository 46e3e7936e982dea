"""Items of conference events, sessions, memberships, members, stars and uniqueness claims.

| item | pk | sk | gsi1pk | gsi1sk |
|---|---|---|---|---|
| event | EVENT#<id> | EVENT | PUBLIC#EVENTS (public only) | <endsOn>#<id> |
| event hashtag claim | EVENTTAG#<lower tag> | EVENTTAG | | |
| membership (roles) | EVENT#<id> | MEMBER#<memberId> | MEMBER#<memberId>#EVENTS | <eventId> |
| session | SESSION#<id> | SESSION | EVENT#<eventId>#SESSIONS | <startsAt UTC>#<id> |
| session hashtag claim | EVENT#<id> | SESSIONTAG#<lower tag> | | |
| imported session's external id claim | EVENT#<id> | EXTERNALID#<externalId> | | |
| member | MEMBER#<id> | PROFILE | | |
| handle claim | HANDLE#<lower handle> | HANDLE | | |
| star | MEMBER#<memberId> | STAR#<eventId>#<sessionId> | | |
| mute (moderation) | EVENT#<id> | MUTE#<memberId> | | |
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

from backchannel.conference.model import Event, Member, Membership, Mute, Session
from backchannel.core.dynamo.convert import to_item, to_model
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
    hold_posts = BooleanAttribute(null=True, attr_name="holdPosts")
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
    conduct_url = UnicodeAttribute(null=True, attr_name="conductUrl")
    conduct_accepted_at = UnicodeAttribute(null=True, attr_name="conductAcceptedAt")


class MuteItem(Item, discriminator="Mute"):
    event_id = UnicodeAttribute(attr_name="eventId")
    member_id = UnicodeAttribute(attr_name="memberId")
    reason = UnicodeAttribute()
    by = UnicodeAttribute()  # the organiser's member id
    at = UnicodeAttribute()
    until = UnicodeAttribute(null=True)


class SpeakerAttribute(MapAttribute):
    name = UnicodeAttribute()
    link = UnicodeAttribute(null=True)


class LinkAttribute(MapAttribute):
    title = UnicodeAttribute()
    url = UnicodeAttribute()


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
    links = ListAttribute(of=LinkAttribute, default=list)
    external_id = UnicodeAttribute(null=True, attr_name="externalId")
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    version = NumberAttribute(default=1)


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
    # Events from before feed sharding carry no count: their posts sit in one shard.
    return to_model(Event, item, feed_shards=int(item.feed_shards or 1))


def event_item(event: Event) -> EventItem:
    public = event.visibility == "public"
    return to_item(
        EventItem,
        event,
        pk=event_pk(event.id),
        sk="EVENT",
        gsi1pk=PUBLIC_EVENTS if public else None,
        gsi1sk=f"{event.ends_on.isoformat()}#{event.id}" if public else None,
    )


def event_tag(tag: str, event_id: str) -> ClaimItem:
    return ClaimItem(pk=f"EVENTTAG#{tag.lower()}", sk="EVENTTAG", owner_id=event_id)


def to_session(item: SessionItem) -> Session:
    return to_model(Session, item)


def session_item(session: Session) -> SessionItem:
    return to_item(
        SessionItem,
        session,
        pk=f"SESSION#{session.id}",
        sk="SESSION",
        gsi1pk=session_index_pk(session.event_id),
        gsi1sk=f"{utc(session.starts_at)}#{session.id}",
    )


def session_tag(event_id: str, tag: str, session_id: str) -> ClaimItem:
    return ClaimItem(pk=event_pk(event_id), sk=f"SESSIONTAG#{tag.lower()}", owner_id=session_id)


def external_id_claim(session: Session) -> ClaimItem:
    """An imported session's id in its schedule, claimed once per event (schedule imports)."""
    return ClaimItem(
        pk=event_pk(session.event_id), sk=f"EXTERNALID#{session.external_id}", owner_id=session.id
    )


def to_membership(item: MembershipItem) -> Membership:
    return to_model(Membership, item)


def mute_item(mute: Mute) -> MuteItem:
    return to_item(MuteItem, mute, pk=event_pk(mute.event_id), sk=f"MUTE#{mute.member_id}")


def to_mute(item: MuteItem) -> Mute:
    return to_model(Mute, item)


def to_member(item: MemberItem) -> Member:
    return to_model(Member, item)


def member_item(member: Member) -> MemberItem:
    return to_item(MemberItem, member, pk=f"MEMBER#{member.id}", sk="PROFILE")


def handle_claim(handle: str, member_id: str) -> ClaimItem:
    return ClaimItem(pk=f"HANDLE#{handle.lower()}", sk="HANDLE", owner_id=member_id)
