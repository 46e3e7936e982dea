"""What capture needs from persistence (``CaptureRepo``); ``capture.dynamo`` is the production one."""

from __future__ import annotations

from typing import Protocol

from backchannel.capture.model import Note, Post, Summary
from backchannel.core.model import Page


class CaptureRepo(Protocol):
    def put_post(self, post: Post, shards: int = 1) -> Post | None:
        """Store a new post in one of ``shards`` feed partitions; if its id exists already, return the
        stored one instead (nothing written)."""

    def get_post(self, post_id: str) -> Post | None: ...
    def delete_post(self, post: Post) -> None: ...
    def event_posts(
        self, event_id: str, shards: int, limit: int, cursor: str | None
    ) -> tuple[list[Post], str | None]:
        """Newest first across the shards, and the cursor of the next page (each shard's position)."""

    def event_posts_since(self, event_id: str, shards: int, limit: int, after: str) -> list[Post]: ...
    def session_posts(
        self, session_id: str, shards: int, limit: int, cursor: str | None
    ) -> tuple[list[Post], str | None]: ...
    def session_posts_since(self, session_id: str, shards: int, limit: int, after: str) -> list[Post]: ...
    def held_posts(
        self, event_id: str, shards: int, limit: int, cursor: str | None
    ) -> tuple[list[Post], str | None]:
        """Posts held for an organiser's approval, newest first."""

    def session_for_hashtags(self, event_id: str, hashtags: list[str]) -> str | None: ...

    def put_note(self, note: Note) -> Note | None:
        """Store a new note; if its id exists already, return the stored one instead."""

    def get_note(self, note_id: str) -> Note | None: ...
    def replace_note(self, before: Note, after: Note) -> None:
        """Raises PreconditionFailed when the stored version is not ``before.version``."""

    def delete_note(self, note: Note) -> None: ...
    def session_notes(
        self, session_id: str, partitions: list[str], limit: int, cursor: str | None
    ) -> Page[Note]: ...
    def member_notes(self, member_id: str, limit: int, cursor: str | None) -> Page[Note]: ...

    def latest_summary(self, session_id: str) -> Summary | None: ...
    def summary_draft(self, session_id: str) -> Summary | None: ...
    def save_summary_draft(self, summary: Summary) -> None: ...
    def publish_summary(self, summary: Summary) -> None:
        """Store a new published version; Conflict if that version exists (a concurrent publication)."""

    def summary_versions(self, session_id: str, limit: int, cursor: str | None) -> Page[Summary]: ...
