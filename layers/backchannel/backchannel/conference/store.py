"""What the conference rules need from persistence (``ConferenceRepo``). The DynamoDB implementation is
``conference.dynamo.DynamoConferenceRepo``; unit tests use an in-memory one (``tests/support/fakes.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Protocol

from backchannel.conference.model import Event, Member, Membership, Mute, Session
from backchannel.core.model import Page


class ConferenceRepo(Protocol):
    # events
    def get_event(self, event_id: str) -> Event | None: ...
    def create_event(self, event: Event, organiser: Membership) -> None:
        """Raises Conflict when the hashtag is taken (case-insensitively)."""

    def update_event(self, before: Event, after: Event) -> None:
        """Raises Conflict when the hashtag is taken or the event changed meanwhile."""

    def list_public_events(
        self, ending_on_or_after: dt.date, limit: int, cursor: str | None
    ) -> Page[Event]: ...

    # memberships
    def get_membership(self, event_id: str, member_id: str) -> Membership | None: ...
    def add_role(
        self, event_id: str, member_id: str, role: str, since: str, *, conduct_url: str | None = None
    ) -> Membership: ...
    def remove_role(self, event_id: str, member_id: str, role: str) -> Membership | None: ...
    def list_memberships(self, member_id: str, limit: int, cursor: str | None) -> Page[Membership]: ...
    def get_events(self, event_ids: list[str]) -> dict[str, Event]: ...

    # mutes (moderation writes them)
    def get_mute(self, event_id: str, member_id: str) -> Mute | None: ...
    def list_mutes(self, event_id: str, limit: int, cursor: str | None) -> Page[Mute]: ...

    # sessions
    def get_session(self, session_id: str) -> Session | None: ...
    def create_session(self, session: Session) -> None:
        """Raises Conflict when the hashtag is taken within the event."""

    def update_session(self, before: Session, after: Session) -> None: ...
    def delete_session(self, session: Session) -> None: ...
    def list_sessions(self, event_id: str, limit: int, cursor: str | None) -> Page[Session]: ...

    # stars
    def star_session(self, member_id: str, session: Session, at: str) -> None: ...
    def unstar_session(self, member_id: str, session: Session) -> None: ...
    def starred_sessions(self, member_id: str, event_id: str) -> set[str]: ...

    # members
    def get_member(self, member_id: str) -> Member | None: ...
    def create_member_if_absent(self, member: Member) -> Member:
        """The stored member: ``member`` if it was created, or the one already there."""

    def update_member(self, before: Member, after: Member) -> None:
        """Raises Conflict when the handle is taken (case-insensitively)."""

    def members_of_event(self, event_id: str, member_ids: Iterable[str]) -> set[str]:
        """Those of ``member_ids`` who belong to the event (any role)."""
        ...

    def attendees(self, event_id: str) -> Iterator[str]:
        """Every member of the event (any role)."""
        ...
