"""Domain records and their public JSON shape (camelCase, every resource has an ``id``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")

Input = dict | Callable[[], dict]


def read_input(data: Input) -> dict:
    """Input arrives as a thunk from the API so that it is validated only after the caller is
    authorised: a caller who may not act learns nothing from validation messages."""
    return data() if callable(data) else data


VISIBILITIES = ("public", "unlisted", "private")
ORGANISER = "organiser"
ATTENDEE = "attendee"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class Caller:
    """Who is asking: a signed-in member (from the JWT claims) or nobody."""

    member_id: str
    username: str = ""
    groups: frozenset[str] = frozenset()
    email: str | None = None

    @property
    def may_create_events(self) -> bool:
        return "organisers" in self.groups


@dataclass
class Event:
    id: str
    name: str
    hashtag: str
    starts_on: dt.date
    ends_on: dt.date
    timezone: str
    visibility: str
    created_by: str
    created_at: str
    updated_at: str
    description: str | None = None
    code_of_conduct_url: str | None = None
    version: int = 1
    feed_shards: int = 4

    @property
    def opens_at(self) -> dt.datetime:
        return dt.datetime.combine(self.starts_on, dt.time.min, ZoneInfo(self.timezone))

    @property
    def closes_at(self) -> dt.datetime:
        return dt.datetime.combine(self.ends_on + dt.timedelta(days=1), dt.time.min, ZoneInfo(self.timezone))

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "hashtag": self.hashtag,
            "startsOn": self.starts_on.isoformat(),
            "endsOn": self.ends_on.isoformat(),
            "timezone": self.timezone,
            "description": self.description,
            "visibility": self.visibility,
            "codeOfConductUrl": self.code_of_conduct_url,
            "feedShards": self.feed_shards,
            "createdBy": self.created_by,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass
class Membership:
    event_id: str
    member_id: str
    roles: set[str]
    since: str

    @property
    def is_organiser(self) -> bool:
        return ORGANISER in self.roles

    @property
    def is_attendee(self) -> bool:
        return ATTENDEE in self.roles


@dataclass
class Speaker:
    name: str
    link: str | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "link": self.link}


@dataclass
class Session:
    id: str
    event_id: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    created_at: str
    updated_at: str
    abstract: str | None = None
    speakers: list[Speaker] = field(default_factory=list)
    room: str | None = None
    track: str | None = None
    hashtag: str | None = None
    version: int = 1

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "eventId": self.event_id,
            "title": self.title,
            "abstract": self.abstract,
            "speakers": [s.to_json() for s in self.speakers],
            "room": self.room,
            "track": self.track,
            "startsAt": self.starts_at.isoformat(),
            "endsAt": self.ends_at.isoformat(),
            "hashtag": self.hashtag,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass
class Link:
    title: str
    url: str


@dataclass
class Member:
    id: str
    display_name: str
    created_at: str
    updated_at: str
    handle: str | None = None
    bio: str | None = None
    links: list[Link] = field(default_factory=list)
    pack_consent: bool = True

    def public_json(self) -> dict:
        """What anyone may see of a member (their public profile)."""
        return {
            "id": self.id,
            "displayName": self.display_name,
            "handle": self.handle,
            "bio": self.bio,
            "links": [{"title": link.title, "url": link.url} for link in self.links],
        }

    def to_json(self) -> dict:
        return self.public_json() | {
            "packConsent": self.pack_consent,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass
class Post:
    id: str
    event_id: str
    author_id: str
    author_name: str
    text: str
    created_at: str
    seq: str
    session_id: str | None = None
    in_reply_to: str | None = None
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    def same_content(self, other: Post) -> bool:
        """A replayed client id carries the same post: same author, place and words."""
        return (self.author_id, self.event_id, self.text, self.in_reply_to) == (
            other.author_id,
            other.event_id,
            other.text,
            other.in_reply_to,
        )

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "eventId": self.event_id,
            "sessionId": self.session_id,
            "author": {"id": self.author_id, "displayName": self.author_name},
            "text": self.text,
            "hashtags": self.hashtags,
            "mentions": self.mentions,
            "links": self.links,
            "inReplyTo": self.in_reply_to,
            "createdAt": self.created_at,
        }


NOTE_VISIBILITIES = ("private", "attendees", "public")


@dataclass
class Note:
    id: str
    event_id: str
    session_id: str
    author_id: str
    author_name: str
    body: str
    visibility: str
    share_in_packs: bool
    version: int
    created_at: str
    updated_at: str
    title: str | None = None

    @property
    def etag(self) -> str:
        return f'"{self.id}.{self.version}"'

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "eventId": self.event_id,
            "sessionId": self.session_id,
            "author": {"id": self.author_id, "displayName": self.author_name},
            "title": self.title,
            "body": self.body,
            "visibility": self.visibility,
            "shareInPacks": self.share_in_packs,
            "version": self.version,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass
class Summary:
    session_id: str
    event_id: str
    version: int
    status: str
    body: str
    author_id: str
    updated_at: str
    published_at: str | None = None

    def to_json(self) -> dict:
        return {
            "id": f"{self.session_id}.{self.status}.{self.version}",
            "sessionId": self.session_id,
            "eventId": self.event_id,
            "version": self.version,
            "status": self.status,
            "body": self.body,
            "authorId": self.author_id,
            "updatedAt": self.updated_at,
            "publishedAt": self.published_at,
        }
