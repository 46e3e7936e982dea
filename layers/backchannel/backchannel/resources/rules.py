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

from collections.abc import Callable

from backchannel.capture.model import Note, Post, Summary
from backchannel.conference.rules import visible_event, visible_session
from backchannel.conference.store import ConferenceRepo
from backchannel.core.model import Caller, Page
from backchannel.resources.links import resources_in
from backchannel.resources.model import Contribution, Reconciled, SharedResource, Source
from backchannel.resources.store import ResourceList, ResourcesRepo, SourceReader

SHARED_VISIBILITIES = frozenset({"attendees", "public"})


# The detail-types the resources worker handles, and the kind of source each one is about.
SOURCE_OF_EVENT = {
    "PostCreated": "post",
    "PostDeleted": "post",
    "PostHidden": "post",
    "PostUnhidden": "post",
    "NoteHidden": "note",
    "NoteUnhidden": "note",
    "NoteShared": "note",
    "NoteChanged": "note",
    "NoteWithdrawn": "note",
    "SummaryPublished": "summary",
}


MAX_PASSES = 5


class Unsettled(Exception):
    """The source kept changing while it was being reconciled: let the message be retried."""


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
    """A hidden or held post contributes nothing (moderation)."""
    if post is None or post.hidden:
        return frozenset()
    return contributions(post.text, post.credited, scopes(post.event_id, post.session_id))


def note_is_shared(note: Note | None) -> bool:
    return note is not None and note.visibility in SHARED_VISIBILITIES and not note.hidden


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


def reconcile(
    source: Source,
    current: Callable[[], frozenset[Contribution]],
    ledger: ResourcesRepo,
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


def handle_event(
    detail_type: str, detail: dict, reader: SourceReader, ledger: ResourcesRepo
) -> Reconciled | None:
    """Bring the resources of the source a domain event is about up to date (None: not ours)."""
    source = source_of(detail_type, detail)
    if source is None:
        return None
    return reconcile(source, desired(reader, source), ledger)


def session_resources(
    store: ConferenceRepo,
    resources: ResourceList,
    caller: Caller | None,
    session_id: str,
    limit: int,
    cursor: str | None,
) -> Page[SharedResource]:
    session, _ = visible_session(store, session_id, caller)
    return resources.ranked(session_scope(session.id), limit, cursor)


def event_resources(
    store: ConferenceRepo,
    resources: ResourceList,
    caller: Caller | None,
    event_id: str,
    limit: int,
    cursor: str | None,
) -> Page[SharedResource]:
    event, _ = visible_event(store, event_id, caller)
    return resources.ranked(event_scope(event.id), limit, cursor)
