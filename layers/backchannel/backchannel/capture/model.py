"""Posts, notes and session summaries, and their public JSON shape."""

from __future__ import annotations

from dataclasses import dataclass, field

from backchannel.conference.model import Membership
from backchannel.core.model import camel_json, same_fields

POST_MAX_CHARS = 500


ORIGIN_FIELDS = ("network", "url", "handle", "displayName", "profileUrl")


NOTE_MAX_BYTES = 64 * 1024


@dataclass
class Post:
    """A hashtag post: a member's, or one collected from an open network (``origin`` set, no member as
    author: ``author_id`` is None; see :mod:`backchannel.collect`)."""

    id: str
    event_id: str
    author_id: str | None
    author_name: str
    text: str
    created_at: str
    seq: str
    session_id: str | None = None
    in_reply_to: str | None = None
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    content_warning: str | None = None
    moderation: Moderation | None = None
    # A collected post: {network, url, handle, displayName, profileUrl} and ``ref`` (how the collector
    # asks for it again), all strings; None: a member's post.
    origin: dict | None = None

    @property
    def hidden(self) -> bool:
        return self.moderation is not None

    def public_origin(self) -> dict | None:
        return {k: self.origin.get(k) for k in ORIGIN_FIELDS} if self.origin else None

    @property
    def credited(self) -> str:
        """Whom a pack or a resource count credits: the member, or the network account of a collected
        post (``mastodon:@alice@example.social``), never mistaken for a member id."""
        if self.origin:
            return f"{self.origin.get('network')}:{self.origin.get('handle')}"
        return self.author_id or ""

    def same_content(self, other: Post) -> bool:
        """A replayed client id carries the same post: same author, place and words."""
        return same_fields(self, other, "author_id", "event_id", "text", "in_reply_to")

    def to_json(self) -> dict:
        return {
            **_byline(self),
            **camel_json(self, "text", "hashtags", "mentions", "links", "in_reply_to", "created_at"),
            **_moderated(self),
            "origin": self.public_origin(),
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
    content_warning: str | None = None
    moderation: Moderation | None = None

    @property
    def hidden(self) -> bool:
        return self.moderation is not None

    def readable_by(self, member_id: str | None, membership: Membership | None) -> bool:
        """Whether a member (None: anyone) with this membership of the note's event may read it."""
        if member_id is not None and self.author_id == member_id:
            return True
        if self.hidden:  # out of sight: its author (above) and the event's organisers only
            return membership is not None and membership.is_organiser
        if self.visibility == "public":
            return True
        if self.visibility == "attendees":
            return membership is not None and bool(membership.roles)
        return False

    @property
    def etag(self) -> str:
        return f'"{self.id}.{self.version}"'

    def same_content(self, other: Note) -> bool:
        """A replayed client id carries the same note: same author, session, words and audience."""
        return same_fields(self, other, "author_id", "session_id", "body", "title", "visibility")

    def to_json(self) -> dict:
        return {
            **_byline(self),
            **camel_json(
                self, "title", "body", "visibility", "share_in_packs", "version", "created_at", "updated_at"
            ),
            **_moderated(self),
        }


@dataclass
class Moderation:
    """Why an item is out of sight: ``held`` for an organiser's approval (posts of an event that holds
    them), or ``hidden`` by an organiser, with the reason its author is shown."""

    state: str  # held | hidden
    reason: str
    at: str

    def to_json(self) -> dict:
        return camel_json(self, "state", "reason", "at")


def _moderated(item: Post | Note) -> dict:
    """The content warning every reader sees, and the moderation only the author and the event's
    organisers ever read (hidden and held items are on no public read path)."""
    moderation = item.moderation.to_json() if item.moderation else None
    return {"contentWarning": item.content_warning, "moderation": moderation}


def _byline(item: Post | Note) -> dict:
    """What the JSON of a post and of a note starts with: where it is and who wrote it."""
    author = {"id": item.author_id, "displayName": item.author_name}
    return {**camel_json(item, "id", "event_id", "session_id"), "author": author}


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
            **camel_json(
                self,
                "session_id",
                "event_id",
                "version",
                "status",
                "body",
                "author_id",
                "updated_at",
                "published_at",
            ),
        }
