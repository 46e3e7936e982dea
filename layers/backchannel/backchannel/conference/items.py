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

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

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


class Speaker(MapAttribute):
    name = UnicodeAttribute()
    link = UnicodeAttribute(null=True)


class SessionItem(Item, discriminator="Session"):
    id = UnicodeAttribute()
    event_id = UnicodeAttribute(attr_name="eventId")
    title = UnicodeAttribute()
    abstract = UnicodeAttribute(null=True)
    speakers = ListAttribute(of=Speaker, default=list)
    room = UnicodeAttribute(null=True)
    track = UnicodeAttribute(null=True)
    starts_at = UnicodeAttribute(attr_name="startsAt")
    ends_at = UnicodeAttribute(attr_name="endsAt")
    hashtag = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    version = NumberAttribute(default=1)


class Link(MapAttribute):
    title = UnicodeAttribute()
    url = UnicodeAttribute()


class MemberItem(Item, discriminator="Member"):
    id = UnicodeAttribute()
    display_name = UnicodeAttribute(attr_name="displayName")
    handle = UnicodeAttribute(null=True)
    bio = UnicodeAttribute(null=True)
    links = ListAttribute(of=Link, default=list)
    pack_consent = BooleanAttribute(null=True, attr_name="packConsent")
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")


class StarItem(Item, discriminator="Star"):
    """A member's star on a session (pk MEMBER#<memberId>, sk STAR#<eventId>#<sessionId>)."""

    member_id = UnicodeAttribute(attr_name="memberId")
    event_id = UnicodeAttribute(attr_name="eventId")
    session_id = UnicodeAttribute(attr_name="sessionId")
    starred_at = UnicodeAttribute(attr_name="starredAt")
