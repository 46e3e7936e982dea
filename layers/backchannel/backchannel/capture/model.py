"""Posts, notes and session summaries, and their public JSON shape."""

from __future__ import annotations

from dataclasses import dataclass, field

POST_MAX_CHARS = 500


NOTE_MAX_BYTES = 64 * 1024


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
