"""Request and response schemas of events, sessions, members and memberships."""

from __future__ import annotations

from backchannel.core.schemas import HANDLE, HASHTAG
from backchannel.core.validation import (
    Arr,
    Bool,
    Date,
    DateTime,
    Enum,
    F,
    Int,
    Obj,
    Str,
    TimeZone,
    Url,
    returned,
)

_hashtag = Str(
    max_len=50, pattern=HASHTAG, pattern_hint="letters, digits and underscore only, without #", min_len=1
)


_visibility = Enum(("public", "unlisted", "private"))


EVENT_CREATE = Obj(
    "EventCreate",
    {
        "name": F(Str(min_len=1, max_len=200), required=True),
        "hashtag": F(_hashtag, required=True),
        "startsOn": F(Date(description="first day, YYYY-MM-DD"), required=True),
        "endsOn": F(Date(description="last day, YYYY-MM-DD"), required=True),
        "timezone": F(TimeZone(description="IANA time zone of the venue"), required=True),
        "description": F(Str(max_len=5000, multiline=True), nullable=True),
        "visibility": F(_visibility, default="public"),
        "codeOfConductUrl": F(Url(), nullable=True),
        "feedShards": F(
            Int(minimum=1, maximum=32),
            default=4,
            description="index partitions of the live feed: about 750 posts a second each; may only grow",
        ),
        "holdPosts": F(
            Bool(),
            default=False,
            description="posts wait for an organiser's approval (PUT /posts/{id}/moderation) before they appear",
        ),
    },
)


EVENT_UPDATE = EVENT_CREATE.optional("EventUpdate")


_speaker = Obj(
    "Speaker",
    {"name": F(Str(min_len=1, max_len=200), required=True), "link": F(Url(), nullable=True)},
)


_link = Obj("Link", {"title": F(Str(min_len=1, max_len=100), required=True), "url": F(Url(), required=True)})


SESSION_CREATE = Obj(
    "SessionCreate",
    {
        "title": F(Str(min_len=1, max_len=300), required=True),
        "abstract": F(Str(max_len=10000, multiline=True), nullable=True),
        "speakers": F(Arr(_speaker, max_items=20), default=[]),
        "room": F(Str(max_len=100), nullable=True),
        "track": F(Str(max_len=100), nullable=True),
        "startsAt": F(DateTime(), required=True),
        "endsAt": F(DateTime(), required=True),
        "hashtag": F(_hashtag, nullable=True),
        "links": F(Arr(_link, max_items=20), default=[]),
    },
)


SESSION_UPDATE = SESSION_CREATE.optional("SessionUpdate")


ORGANISER_ADD = Obj("OrganiserAdd", {"memberId": F(Str(min_len=1, max_len=128), required=True)})


ATTENDANCE = Obj(
    "Attendance",
    {"memberId": F(Str(min_len=1, max_len=128), nullable=True)},
    description="Empty to join yourself; an organiser may add another member (private events).",
)


ME_UPDATE = Obj(
    "MemberUpdate",
    {
        "displayName": F(Str(min_len=1, max_len=100)),
        "handle": F(
            Str(pattern=HANDLE, pattern_hint="2 to 30 letters, digits or underscores", min_len=2, max_len=30),
            nullable=True,
        ),
        "bio": F(Str(max_len=2000, multiline=True), nullable=True),
        "links": F(Arr(_link, max_items=10)),
        "packConsent": F(
            Bool(),
            description="whether your posts, notes and questions may appear in conference packs; "
            "withdrawing it takes them out of every pack at its next build",
        ),
    },
)


# Response shapes, for the OpenAPI document: a resource is its request's fields, each present (null
# where unset), between its ids and its time stamps.
_stamps = returned(DateTime(), "createdAt", "updatedAt")


EVENT = Obj(
    "Event",
    {**returned(Str(), "id"), **EVENT_CREATE.returned_fields(), **returned(Str(), "createdBy"), **_stamps},
)


SESSION = Obj(
    "Session",
    {
        **returned(Str(), "id", "eventId"),
        "externalId": F(
            Str(), required=True, nullable=True, description="its id in the schedule it was imported from"
        ),
        **SESSION_CREATE.returned_fields(),
        **_stamps,
    },
)


MEMBER = Obj("Member", {**returned(Str(), "id"), **ME_UPDATE.returned_fields(), **_stamps})


_roles = Arr(Enum(("organiser", "attendee")))


_conduct = F(
    Obj("ConductAcceptance", {**returned(Str(), "url"), **returned(DateTime(), "acceptedAt")}),
    required=True,
    nullable=True,
    description="the event's code of conduct you accepted by joining (null: none accepted)",
)


MY_EVENT = Obj(
    "MyEvent",
    {
        "event": F(EVENT, required=True),
        "roles": F(_roles, required=True),
        "since": F(DateTime(), required=True),
        "codeOfConduct": _conduct,
    },
)


STAR = Obj(
    "Star",
    {**returned(Str(), "sessionId", "eventId"), "starredAt": F(DateTime(), required=True)},
)


MEMBERSHIP = Obj(
    "Membership",
    {
        **returned(Str(), "eventId", "memberId"),
        "roles": F(_roles, required=True),
        "since": F(DateTime(), required=True),
        "codeOfConduct": _conduct,
    },
)
