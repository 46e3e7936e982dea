"""What the resources rules need from persistence: the current state of sources (``SourceReader``),
the ledger of contributions (``ResourcesRepo``) and the ranked lists (``ResourceList``)."""

from __future__ import annotations

from typing import Protocol

from backchannel.capture.model import Note, Post, Summary
from backchannel.core.model import Page
from backchannel.resources.model import Contribution, SharedResource, Source


class SourceReader(Protocol):
    """The current state of sources (data access)."""

    def post(self, post_id: str) -> Post | None: ...
    def shared_note(self, note_id: str) -> Note | None:
        """The note if it is shared now; None if it is private or gone (private content is not read)."""
        ...

    def published_summary(self, session_id: str) -> Summary | None:
        """The latest published version of a session's summary."""
        ...


class ResourcesRepo(Protocol):
    """Recorded contributions per source, and the shares they add up to (data access)."""

    def recorded(self, source: Source) -> frozenset[Contribution]: ...
    def add(self, source: Source, contribution: Contribution) -> None: ...
    def remove(self, source: Source, contribution: Contribution) -> None: ...


class ResourceList(Protocol):
    def ranked(self, scope: str, limit: int, cursor: str | None) -> Page[SharedResource]:
        """A scope's resources, most shared first."""
        ...
