"""Resources: every link and paper shared in posts, shared notes and published summaries, per session
and per event, counted by the distinct members who shared them.

Pure rules. What a source (a post, a note, a session's summary) contributes is a set of
:class:`Contribution` (scope, resource, member), computed from the source's *current* state: a deleted
post, a private or deleted note and an unpublished summary contribute nothing. The ledger (data access)
records each contribution once, under its source, and counts ``shares`` as the number of members with
at least one recorded contribution for a resource in a scope.

Every domain event about a source is handled the same way, whatever its type and order: read the
source now, and :func:`reconcile` the ledger with it (add what is missing, remove what is stale).
Redelivery and reordering therefore change nothing, and a change that lands while a worker is
reconciling is caught by reading the source again after applying (see :func:`reconcile`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from backchannel.domain.events import visible_event, visible_session
from backchannel.domain.links import resources_in
from backchannel.domain.model import Caller, Note, Page, Post, Summary
from backchannel.domain.store import Store

SHARED_VISIBILITIES = frozenset({"attendees", "public"})
# The detail-types the resources worker handles, and the kind of source each one is about.
SOURCE_OF_EVENT = {
    "PostCreated": "post",
    "PostDeleted": "post",
    "NoteShared": "note",
    "NoteChanged": "note",
    "NoteWithdrawn": "note",
    "SummaryPublished": "summary",
}
MAX_PASSES = 5


class Unsettled(Exception):
    """The source kept changing while it was being reconciled: let the message be retried."""


@dataclass(frozen=True)
class Contribution:
    """One member's sharing of one resource in one scope (``session/<id>`` or ``event/<id>``)."""

    scope: str
    url: str
    kind: str
    doi: str | None
    member_id: str

    @property
    def resource_id(self) -> str:
        return resource_id(self.url)


@dataclass(frozen=True)
class SharedResource:
    """A resource of a scope, as the API lists it."""

    id: str
    url: str
    kind: str
    doi: str | None
    shares: int

    def to_json(self) -> dict:
        return {"id": self.id, "url": self.url, "kind": self.kind, "doi": self.doi, "shares": self.shares}


@dataclass(frozen=True)
class Source:
    """What contributes resources: ``post``/``note`` with its id, or ``summary`` with its session's id."""

    kind: str
    id: str

    @property
    def key(self) -> str:
        return f"{self.kind}#{self.id}"


def resource_id(url: str) -> str:
    """A resource's id: a hash of its normalised URL (the same in every scope)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


def session_scope(session_id: str) -> str:
    return f"session/{session_id}"


def event_scope(event_id: str) -> str:
    return f"event/{event_id}"


def scopes(event_id: str, session_id: str | None) -> tuple[str, ...]:
    """A source counts for its session (if it has one) and for its event."""
    found = [session_scope(session_id)] if session_id else []
    return (*found, event_scope(event_id))


def contributions(text: str, member_id: str, in_scopes: tuple[str, ...]) -> frozenset[Contribution]:
    return frozenset(
        Contribution(scope, r.url, r.kind, r.doi, member_id)
        for r in resources_in(text)
        for scope in in_scopes
    )


def post_contributions(post: Post | None) -> frozenset[Contribution]:
    if post is None:
        return frozenset()
    return contributions(post.text, post.author_id, scopes(post.event_id, post.session_id))


def note_is_shared(note: Note | None) -> bool:
    return note is not None and note.visibility in SHARED_VISIBILITIES


def note_contributions(note: Note | None) -> frozenset[Contribution]:
    """Private notes contribute nothing (their text is not even looked at)."""
    if note is None or not note_is_shared(note):
        return frozenset()
    text = f"{note.title}\n{note.body}" if note.title else note.body
    return contributions(text, note.author_id, scopes(note.event_id, note.session_id))


def summary_contributions(summary: Summary | None) -> frozenset[Contribution]:
    """A published summary's links are its author's (the organiser who published it)."""
    if summary is None or summary.status != "published":
        return frozenset()
    return contributions(summary.body, summary.author_id, scopes(summary.event_id, summary.session_id))


# ---------------------------------------------------------------------------------------------------
# the worker's side
# ---------------------------------------------------------------------------------------------------


class SourceReader(Protocol):
    """The current state of sources (data access)."""

    def post(self, post_id: str) -> Post | None: ...
    def shared_note(self, note_id: str) -> Note | None:
        """The note if it is shared now; None if it is private or gone (private content is not read)."""
        ...

    def published_summary(self, session_id: str) -> Summary | None:
        """The latest published version of a session's summary."""
        ...


class Ledger(Protocol):
    """Recorded contributions per source, and the shares they add up to (data access)."""

    def recorded(self, source: Source) -> frozenset[Contribution]: ...
    def add(self, source: Source, contribution: Contribution) -> None: ...
    def remove(self, source: Source, contribution: Contribution) -> None: ...


def source_of(detail_type: str, detail: dict) -> Source | None:
    """The source a domain event is about (None for an event this worker does not handle);
    ``ValueError`` when the event lacks the id it needs."""
    kind = SOURCE_OF_EVENT.get(detail_type)
    if kind is None:
        return None
    name = "sessionId" if kind == "summary" else "id"
    value = detail.get(name)
    if not isinstance(value, str) or not value or len(value) > 64 or "#" in value:
        raise ValueError(f"{detail_type} without a usable {name}")
    return Source(kind, value)


def desired(reader: SourceReader, source: Source) -> Callable[[], frozenset[Contribution]]:
    """A function reading what ``source`` contributes now."""
    if source.kind == "post":
        return lambda: post_contributions(reader.post(source.id))
    if source.kind == "note":
        return lambda: note_contributions(reader.shared_note(source.id))
    if source.kind == "summary":
        return lambda: summary_contributions(reader.published_summary(source.id))
    raise ValueError(f"unknown source kind {source.kind}")


@dataclass
class Reconciled:
    added: int = 0
    removed: int = 0
    passes: int = 0


def reconcile(
    source: Source,
    current: Callable[[], frozenset[Contribution]],
    ledger: Ledger,
    *,
    max_passes: int = MAX_PASSES,
) -> Reconciled:
    """Make the ledger hold exactly what ``source`` contributes now.

    Each pass applies the difference between the source's current contributions and the recorded
    ones (each add and remove is idempotent on its own), then reads the source again: if it changed
    meanwhile, another pass follows. A worker therefore only stops after it has seen that what it
    applied is still right, so a slower worker holding an older state of the source cannot leave
    that state behind. ``Unsettled`` after ``max_passes`` (the message is retried later).
    """
    outcome = Reconciled()
    wanted = current()
    for _ in range(max_passes):
        outcome.passes += 1
        recorded = ledger.recorded(source)
        for contribution in sorted(wanted - recorded, key=_order):
            ledger.add(source, contribution)
            outcome.added += 1
        for contribution in sorted(recorded - wanted, key=_order):
            ledger.remove(source, contribution)
            outcome.removed += 1
        now = current()
        if now == wanted:
            return outcome
        wanted = now
    raise Unsettled(f"{source.kind} kept changing while its resources were counted")


def _order(c: Contribution) -> tuple[str, str, str]:
    # A fixed order of writes keeps two workers on overlapping resources from meeting head-on.
    return (c.scope, c.resource_id, c.member_id)


def handle_event(detail_type: str, detail: dict, reader: SourceReader, ledger: Ledger) -> Reconciled | None:
    """Bring the resources of the source a domain event is about up to date (None: not ours)."""
    source = source_of(detail_type, detail)
    if source is None:
        return None
    return reconcile(source, desired(reader, source), ledger)


# ---------------------------------------------------------------------------------------------------
# the API's side
# ---------------------------------------------------------------------------------------------------


class ResourceList(Protocol):
    def ranked(self, scope: str, limit: int, cursor: str | None) -> Page[SharedResource]:
        """A scope's resources, most shared first."""
        ...


def session_resources(
    store: Store,
    resources: ResourceList,
    caller: Caller | None,
    session_id: str,
    limit: int,
    cursor: str | None,
) -> Page[SharedResource]:
    session, _ = visible_session(store, session_id, caller)
    return resources.ranked(session_scope(session.id), limit, cursor)


def event_resources(
    store: Store,
    resources: ResourceList,
    caller: Caller | None,
    event_id: str,
    limit: int,
    cursor: str | None,
) -> Page[SharedResource]:
    event, _ = visible_event(store, event_id, caller)
    return resources.ranked(event_scope(event.id), limit, cursor)
