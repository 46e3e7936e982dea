"""Conference events, their sessions, members and memberships, and their public JSON shape (camelCase,
every resource has an ``id``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from backchannel.core.model import camel_json

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
    hold_posts: bool = False  # posts wait for an organiser's approval (moderation) before they appear

    @property
    def opens_at(self) -> dt.datetime:
        return dt.datetime.combine(self.starts_on, dt.time.min, ZoneInfo(self.timezone))

    @property
    def closes_at(self) -> dt.datetime:
        return dt.datetime.combine(self.ends_on + dt.timedelta(days=1), dt.time.min, ZoneInfo(self.timezone))

    def to_json(self) -> dict:
        return {
            **camel_json(self, "id", "name", "hashtag"),
            "startsOn": self.starts_on.isoformat(),
            "endsOn": self.ends_on.isoformat(),
            **camel_json(self, "timezone", "description", "visibility", "code_of_conduct_url", "feed_shards"),
            "holdPosts": self.hold_posts,
            **camel_json(self, "created_by", "created_at", "updated_at"),
        }


@dataclass
class Membership:
    event_id: str
    member_id: str
    roles: set[str]
    since: str
    # the event's code of conduct this member accepted by joining, and when (the latest acceptance)
    conduct_url: str | None = None
    conduct_accepted_at: str | None = None

    @property
    def is_organiser(self) -> bool:
        return ORGANISER in self.roles

    @property
    def is_attendee(self) -> bool:
        return ATTENDEE in self.roles

    def to_json(self) -> dict:
        conduct = None
        if self.conduct_url:
            conduct = {"url": self.conduct_url, "acceptedAt": self.conduct_accepted_at}
        return {
            **camel_json(self, "event_id", "member_id"),
            "roles": sorted(self.roles),
            "since": self.since,
            "codeOfConduct": conduct,
        }


@dataclass
class Mute:
    """A member muted in an event by an organiser: they read it, but write nothing there (no posts,
    notes, questions or votes) until ``until`` (None: until an organiser lifts it)."""

    event_id: str
    member_id: str
    reason: str
    by: str
    at: str
    until: str | None = None

    def active(self, now: str) -> bool:
        return self.until is None or self.until > now

    def to_json(self) -> dict:
        return camel_json(self, "event_id", "member_id", "reason", "at", "until")


@dataclass
class Speaker:
    name: str
    link: str | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "link": self.link}


@dataclass
class Link:
    title: str
    url: str

    def to_json(self) -> dict:
        return {"title": self.title, "url": self.url}


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
    links: list[Link] = field(default_factory=list)
    # the id of the session in the schedule it was imported from (frab/pretalx guid, iCalendar UID)
    external_id: str | None = None
    version: int = 1

    def to_json(self) -> dict:
        return {
            **camel_json(self, "id", "event_id", "external_id", "title", "abstract"),
            "speakers": [s.to_json() for s in self.speakers],
            **camel_json(self, "room", "track"),
            "startsAt": self.starts_at.isoformat(),
            "endsAt": self.ends_at.isoformat(),
            "hashtag": self.hashtag,
            "links": [link.to_json() for link in self.links],
            **camel_json(self, "created_at", "updated_at"),
        }


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
            **camel_json(self, "id", "display_name", "handle", "bio"),
            "links": [link.to_json() for link in self.links],
        }

    def to_json(self) -> dict:
        return self.public_json() | camel_json(self, "pack_consent", "created_at", "updated_at")
