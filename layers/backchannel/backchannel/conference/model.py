"""Conference events, their sessions, members and memberships, and their public JSON shape (camelCase,
every resource has an ``id``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

VISIBILITIES = ("public", "unlisted", "private")


ORGANISER = "organiser"


ATTENDEE = "attendee"


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
