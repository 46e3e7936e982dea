"""The pipeline's rules in motion: requesting a pack (coalescing), building it (the worker's side) and
the triggers that rebuild packs. Pure: the table, the bus, S3 and the compiler arrive as parameters.

Coalescing, per target (one pack per target; each build is a version)
---------------------------------------------------------------------
=========  ==========================================================================================
status     a request ...
=========  ==========================================================================================
(none)     creates the pack at version 1, ``queued``, and puts ``PackRequested`` on the bus
queued     changes nothing: the queued build has not read anything yet, so it will see this change
building   sets ``dirty``: the running build may have read the old state; it is rebuilt once after
ready      starts version + 1 (``queued``) and puts ``PackRequested`` on the bus
failed     as ready
=========  ==========================================================================================

The worker moves ``queued`` (or ``failed``: a retry) to ``building`` for the message's version only,
clearing ``dirty``; a ``building`` version whose build stopped reporting is taken over. When the build
ends, one conditional write either marks it ``ready`` (not dirty) or, if requests came during the build,
marks this version served and queues version + 1 in the same write: however many requests arrived,
exactly one rebuild follows. Every transition is a conditional write on (version, status[, dirty]); a
lost race re-reads and tries again, so concurrent requests and redelivered messages are harmless.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from backchannel.core.errors import Conflict, DomainError, NotFound
from backchannel.core.ids import new_ulid
from backchannel.core.model import iso, utcnow
from backchannel.core.observability import logger
from backchannel.messaging.changes import SCHEMA_VERSION, DomainEvent
from backchannel.packs.model import Artifact, Pack, Target
from backchannel.packs.rules import (
    MEMBER_TRIGGERS,
    NOT_PERSONAL,
    PACK_REQUESTED,
    REFRESHING_TRIGGERS,
    WITHDRAWING_TRIGGERS,
)
from backchannel.packs.settings import PROGRESS_INTERVAL_S, STALE_BUILD_S
from backchannel.packs.store import PacksRepo

_PACK_EVENT_NS = uuid.UUID("0d7f3a52-5b0e-4c61-9b0c-7e3f2a1d4c88")


_ATTEMPTS = 8


class QueueUnavailable(DomainError):
    status = 503
    title = "Service unavailable"


class Publisher(Protocol):
    def publish(self, events: list[DomainEvent]) -> list[DomainEvent]: ...


class Writer(Protocol):
    bucket: str
    keys: dict[str, str]

    def open(self, name: str, content_type: str) -> Any: ...


class Storage(Protocol):
    def writer(self, pack_id: str, version: int) -> Writer: ...
    def remove_version(self, bucket: str, pack_id: str, version: int) -> None:
        """Delete the files of every version below ``version``."""
        ...


# compile(pack, open_writer, progress) -> the compiler's artifacts (format, content_type, size, sha256)
Compile = Callable[[Pack, Callable[[str, str], Any], Callable[[int, int | None], None]], list[Any]]


def pack_requested(pack: Pack, *, trigger: str, now: str) -> DomainEvent:
    t = pack.target
    detail = {
        "schemaVersion": SCHEMA_VERSION,
        "domainEventId": str(uuid.uuid5(_PACK_EVENT_NS, f"{pack.id}/v{pack.version}")),
        "occurredAt": now,
        "packId": pack.id,
        "version": pack.version,
        "kind": t.kind,
        "targetId": t.target_id,
        "eventId": t.event_id,
        "memberId": t.member_id,
        "trigger": trigger,
    }
    resources = [f"pack/{pack.id}", f"event/{t.event_id}"]
    if t.kind == "session":
        resources.append(f"session/{t.target_id}")
    return DomainEvent(detail_type=PACK_REQUESTED, detail=detail, resources=resources)


def _publish(repo: PacksRepo, publisher: Publisher, pack: Pack, trigger: str, now: str) -> None:
    if publisher.publish([pack_requested(pack, trigger=trigger, now=now)]):
        repo.fail(pack.id, pack.version, "the build could not be queued; request it again", now=now)
        raise QueueUnavailable("the build could not be queued; try again shortly")


def request(
    repo: PacksRepo,
    publisher: Publisher,
    target: Target,
    *,
    requested_by: str | None,
    trigger: str = "request",
    withdraw: bool = False,
    create: bool = True,
    now: dt.datetime | None = None,
) -> Pack | None:
    """Ask for a build of ``target``'s pack, coalescing with one queued or running. Returns the pack
    (None when ``create`` is off and there is none). ``withdraw`` stops serving the current version
    at once (something it holds was taken away)."""
    stamp = iso(now or utcnow())
    for _ in range(_ATTEMPTS):
        pack = repo.get_by_target(target)
        if pack is None:
            if not create:
                return None
            pack = Pack(
                id=new_ulid(),
                target=target,
                status="queued",
                version=1,
                created_at=stamp,
                updated_at=stamp,
                requested_by=requested_by,
            )
            if repo.create(pack):
                _publish(repo, publisher, pack, trigger, stamp)
                return pack
            continue
        if pack.status == "queued":
            if withdraw and pack.served and not repo.withdraw(pack.id, pack.version, now=stamp):
                continue
            return repo.get(pack.id) if withdraw else pack
        if pack.status == "building":
            if repo.mark_dirty(pack.id, pack.version, withdraw=withdraw, now=stamp):
                return repo.get(pack.id) or pack
            continue
        if repo.requeue(pack.id, pack.version, pack.status, withdraw=withdraw, now=stamp):
            pack = repo.get(pack.id) or pack
            _publish(repo, publisher, pack, trigger, stamp)
            return pack
    raise Conflict("too many concurrent requests for this pack: retry shortly")


def holds(pack: Pack, detail_type: str, detail: dict) -> bool:
    """Whether ``pack`` may hold what a domain event is about. A personal pack holds only its member's
    own notes (and the sessions' summaries and links): no posts, no questions, nobody else's notes."""
    if detail_type in NOT_PERSONAL:
        return pack.target.kind != "personal"
    if pack.target.kind != "personal" or detail_type in REFRESHING_TRIGGERS:
        return True
    who = detail.get("memberId") if detail_type in MEMBER_TRIGGERS else detail.get("authorId")
    return who is None or pack.target.member_id == who


def rebuild_affected(
    repo: PacksRepo,
    publisher: Publisher,
    detail_type: str,
    detail: dict,
    *,
    member_events: Callable[[str], Iterable[str]] = lambda _: (),
    retract_publications: Callable[[str], Any] = lambda _: 0,
    now: dt.datetime | None = None,
) -> list[str]:
    """The rebuild trigger: the packs holding what a domain event changed are rebuilt (by target,
    coalescing). A change that takes something away also retracts what was circulated of each pack
    (``retract_publications(pack_id)``: their editions are rebuilt, keeping only what they held).
    Returns the ids of the packs asked for."""
    withdraw = detail_type in WITHDRAWING_TRIGGERS
    if not withdraw and detail_type not in REFRESHING_TRIGGERS:
        return []
    packs: list[Pack] = []
    if detail_type in MEMBER_TRIGGERS:
        member_id = str(detail.get("memberId") or "")
        # MemberErased names the events (the member's memberships are gone by then), never the member
        erased_from = detail.get("eventIds") if isinstance(detail.get("eventIds"), list) else None
        for event_id in erased_from or (member_events(member_id) if member_id else ()):
            packs += repo.packs_of_event(event_id)
    else:
        event_id, session_id = detail.get("eventId"), detail.get("sessionId")
        if not event_id:
            return []
        if session_id:
            packs += repo.packs_of_session(str(event_id), str(session_id))
        packs += [p for p in repo.packs_of_event(str(event_id)) if p.target.kind != "session"]
    packs = [p for p in packs if holds(p, detail_type, detail)]
    asked = []
    seen: set[str] = set()
    for pack in packs:
        if pack.id in seen:
            continue
        seen.add(pack.id)
        if withdraw:
            retract_publications(pack.id)
        found = request(
            repo,
            publisher,
            pack.target,
            requested_by=None,
            trigger=detail_type,
            withdraw=withdraw,
            create=False,
            now=now,
        )
        if found is not None:
            asked.append(found.id)
    return asked


@dataclass(frozen=True)
class BuildOutcome:
    status: str  # ready | requeued | failed | skipped
    pack_id: str
    version: int


class _Progress:
    """The compiler's progress callback: written at most every ``interval`` seconds."""

    def __init__(self, repo: PacksRepo, pack: Pack, clock: Callable[[], float], interval: float) -> None:
        self.repo, self.pack, self.clock, self.interval = repo, pack, clock, interval
        self.last: float | None = None

    def __call__(self, done: int, total: int | None) -> None:
        now = self.clock()
        if self.last is not None and now - self.last < self.interval:
            return
        self.last = now
        self.repo.report_progress(
            self.pack.id, self.pack.version, {"done": int(done), "total": total}, now=iso(utcnow())
        )


def build(
    repo: PacksRepo,
    publisher: Publisher,
    storage: Storage,
    compile: Compile,
    pack_id: str,
    version: int,
    *,
    now: dt.datetime | None = None,
    clock: Callable[[], float] = time.monotonic,
    progress_interval_s: float = PROGRESS_INTERVAL_S,
) -> BuildOutcome:
    """Build one version of a pack. A message for a version that is not (or no longer) the one to
    build is acknowledged and changes nothing. Raises when the build failed and should be retried."""
    at = now or utcnow()
    stamp = iso(at)
    stale = iso(at - dt.timedelta(seconds=STALE_BUILD_S))
    pack = repo.start(pack_id, version, now=stamp, stale_before=stale)
    if pack is None:
        current = repo.get(pack_id)
        if current is not None and current.status == "queued" and current.version > version:
            # The rebuild queued after this version may have missed the bus: ask again (a duplicate
            # request for a version is skipped by the conditional start).
            _publish(repo, publisher, current, "retry", stamp)
        logger.info("pack build skipped", extra={"pack_id": pack_id, "version": version})
        return BuildOutcome("skipped", pack_id, version)

    writer = storage.writer(pack.id, pack.version)
    try:
        produced = compile(pack, writer.open, _Progress(repo, pack, clock, progress_interval_s))
    except NotFound as err:
        repo.fail(pack.id, pack.version, f"the {pack.target.kind} is gone: {err.detail}", now=stamp)
        return BuildOutcome("failed", pack.id, pack.version)
    except Exception:
        logger.exception("pack build failed", extra={"pack_id": pack.id, "version": pack.version})
        repo.fail(pack.id, pack.version, "the pack could not be compiled", now=iso(utcnow()))
        raise
    artifacts = {
        a.format: Artifact(
            format=a.format,
            content_type=a.content_type,
            key=writer.keys.get(a.format) or next(iter(writer.keys.values()), ""),
            size=int(a.size),
            sha256=a.sha256,
        )
        for a in produced
    }
    outcome = repo.finish(pack.id, pack.version, artifacts, writer.bucket, now=iso(utcnow()))
    if outcome == "lost":  # taken over by another worker meanwhile: its result stands
        return BuildOutcome("skipped", pack.id, pack.version)
    try:  # superseded versions are no longer served; their files go (versioning keeps them briefly)
        storage.remove_version(writer.bucket, pack.id, pack.version)
    except Exception:
        logger.warning("could not remove superseded versions", extra={"pack_id": pack.id})
    if outcome == "requeued":
        current = repo.get(pack.id)
        if current is not None:
            _publish(repo, publisher, current, "coalesced", iso(utcnow()))
    return BuildOutcome(outcome, pack.id, pack.version)
