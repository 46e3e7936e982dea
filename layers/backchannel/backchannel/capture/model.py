"""Posts, notes and session summaries, and their public JSON shape."""

from __future__ import annotations

from dataclasses import dataclass, field

from backchannel.core.model import camel_json, same_fields

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
        return same_fields(self, other, "author_id", "event_id", "text", "in_reply_to")

    def to_json(self) -> dict:
        return {
            **_byline(self),
            **camel_json(self, "text", "hashtags", "mentions", "links", "in_reply_to", "created_at"),
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

    def same_content(self, other: Note) -> bool:
        """A replayed client id carries the same note: same author, session, words and audience."""
        return same_fields(self, other, "author_id", "session_id", "body", "title", "visibility")

    def to_json(self) -> dict:
        return {
            **_byline(self),
            **camel_json(
                self, "title", "body", "visibility", "share_in_packs", "version", "created_at", "updated_at"
            ),
        }


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
