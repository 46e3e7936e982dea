"""Publishing a pack to its audience: who may, whom it reaches, and the fan-out into deliveries.

``POST /packs/{packId}/publish`` records a *publication* of the pack's served version (one per
version: publishing again answers the same publication). The table's stream turns it into
``PackPublished``; the fan-out worker resolves the recipients and enqueues one delivery per
(pack version, recipient, channel) through SQS in batches of 10.

Recipients, by kind of pack:

| pack | followers of | and |
|---|---|---|
| personal | its member | |
| session | the session and its event | the event's attendees |
| event | the event | the event's attendees |

minus the pack's member (or publisher) and anyone on either side of a block with them. A private
event's packs (and the session and event packs of an unlisted event, which hold attendees-only notes)
reach only members of the event. Every recipient gets the pack in their inbox and on each active
channel that sends (email, webhook, Mastodon; the feed reads the inbox).

What recipients get is the publication's **edition** (``packs.content``): built for the audience when
the fan-out starts, kept apart from later builds, and the only thing any inbox entry, feed or link of
the publication serves. A later build of the pack reaches nobody until it is published itself.

``PackRetracted`` (a withdrawal, a hide, an erasure or a consent change touched the pack: the rebuild
trigger counts it on each publication) rebuilds the edition keeping only what it held, so a retraction
only removes; until that is done the edition is not served. It also enqueues a retraction for every
webhook and Mastodon delivery of that publication.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from backchannel.circulation.model import FINAL, INBOX, SENDING_TYPES, Job, Publication
from backchannel.circulation.queue import BATCH
from backchannel.conference.model import Event
from backchannel.conference.rules import organised_event
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import Conflict, NotFound
from backchannel.core.model import Caller, iso, utcnow
from backchannel.core.observability import logger
from backchannel.packs import rules
from backchannel.packs.editions import Edition, edition_folder

CHUNK = 100  # recipients whose routes are read in one BatchGetItem
PROGRESS_EVERY = 1000  # recipients between progress writes on the publication


EDITION_ATTEMPTS = 5  # builds of one edition in one go, when withdrawals keep landing meanwhile


class Queue(Protocol):
    def send(self, jobs: list[Job]) -> None: ...


class Editions(Protocol):
    """Builds a publication's edition (``packs.editions.S3Editions`` in production)."""

    def build(self, pub: Publication, revision: int, restrict: frozenset[str] | None) -> Edition: ...
    def manifest(self, pub: Publication) -> frozenset[str]: ...
    def discard(self, bucket: str, prefix: str) -> None: ...


def members_only(kind: str, event: Event) -> bool:
    """Whether a publication reaches only the event's members: every pack of a private event, and the
    session and event packs of an unlisted one (they hold attendees-only notes)."""
    return event.visibility == "private" or (kind != "personal" and event.visibility != "public")


def _publisher_pack(store: ConferenceRepo, packs: Any, caller: Caller, pack_id: str) -> rules.Pack:
    """The pack, if ``caller`` may publish it: its member for a personal pack, the event's organisers
    for the others. 404 to whoever may not read it, 403 to attendees."""
    pack = packs.get(pack_id)
    rules.readable(store, caller, pack, pack_id)
    assert pack is not None
    if pack.target.kind != "personal":
        organised_event(store, pack.target.event_id, caller)
    return pack


def publish(
    store: ConferenceRepo,
    packs: Any,
    repo: Any,
    caller: Caller,
    pack_id: str,
    *,
    now: dt.datetime | None = None,
) -> tuple[Publication, bool]:
    """Publish the pack's served version. Personal packs: their member ("circulate"); session and
    event packs: the event's organisers. Returns (publication, created)."""
    pack = _publisher_pack(store, packs, caller, pack_id)
    if not pack.served or pack.ready_version is None:
        raise Conflict(
            f"pack {pack_id} has no ready version yet (status: {pack.status}): publish it once built"
        )
    existing = repo.get_publication(pack.id, pack.ready_version)
    if existing is not None:
        return existing, False
    t = pack.target
    pub = Publication(
        pack_id=pack.id,
        version=pack.ready_version,
        kind=t.kind,
        target_id=t.target_id,
        event_id=t.event_id,
        owner_id=t.member_id,
        published_by=caller.member_id,
        published_at=iso(now or utcnow()),
    )
    if repo.create_publication(pub):
        return pub, True
    found = repo.get_publication(pack.id, pack.ready_version)
    assert found is not None
    return found, False


def deliveries(store: ConferenceRepo, packs: Any, repo: Any, caller: Caller, pack_id: str) -> dict:
    """The publisher's summary: per publication, deliveries by channel and status."""
    _publisher_pack(store, packs, caller, pack_id)
    out = []
    for pub, counts in repo.publications(pack_id):
        by_channel: dict[str, dict[str, int]] = {}
        for channel in (INBOX, *SENDING_TYPES):
            row = {status: counts.get(f"{channel}#{status}", 0) for status in sorted(FINAL)}
            # Enqueued and not final yet: waiting, being sent, or waiting for a retry.
            row["queued"] = max(0, pub.by_channel.get(channel, 0) - sum(row.values()))
            row |= {k.split("#", 1)[1]: v for k, v in counts.items() if k.startswith(f"{channel}#retract-")}
            by_channel[channel] = row
        out.append({**pub.to_json(), "byChannel": by_channel})
    return {"packId": pack_id, "publications": out}


# ---------------------------------------------------------------------------------------------------
# fan-out (the worker)
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FanOut:
    recipients: int
    deliveries: int
    by_channel: dict[str, int]


def _unique(sources: Iterable[Iterable[str]], exclude: set[str]) -> Iterator[str]:
    seen: set[str] = set(exclude)
    for source in sources:
        for member_id in source:
            if member_id not in seen:
                seen.add(member_id)
                yield member_id


def audience(store: ConferenceRepo, repo: Any, pub: Publication, event: Event) -> tuple[Iterator[str], bool]:
    """The recipients' ids (unique, without the actor and blocks) and whether they must belong to
    the event."""
    actor = pub.owner_id or pub.published_by
    exclude = {actor} | repo.blockers_of(actor) | repo.blocked_by(actor)
    if pub.kind == "personal":
        sources: list[Iterable[str]] = [repo.followers("member", actor)]
    elif pub.kind == "session":
        sources = [
            repo.followers("session", pub.target_id),
            repo.followers("event", pub.event_id),
            store.attendees(pub.event_id),
        ]
    else:
        sources = [repo.followers("event", pub.event_id), store.attendees(pub.event_id)]
    return _unique(sources, exclude), members_only(pub.kind, event)


def prepare_edition(
    repo: Any, editions: Editions, pub: Publication, *, now: Callable[[], dt.datetime] = utcnow
) -> tuple[Publication | None, bool]:
    """Make the publication's edition current: build it if it has none; rebuild it after withdrawals,
    keeping only what it held. Returns the publication after, and whether a rebuild took something
    out (a rebuild that finds nothing to remove keeps the edition and its revision). None if what
    the pack is of is gone (its edition then stays unserved). Raises ``Conflict`` if withdrawals kept
    landing meanwhile (the message is retried)."""
    removed = False
    for _ in range(EDITION_ATTEMPTS):
        if pub.edition_ready:
            return pub, removed
        restrict = editions.manifest(pub) if pub.revision > 0 else None
        try:
            built = editions.build(pub, pub.revision + 1, restrict)
        except NotFound as err:
            logger.warning("edition not built", extra={"pack_id": pub.pack_id, "reason": err.detail})
            return None, removed
        unchanged = restrict is not None and built.manifest == restrict
        if unchanged:  # the withdrawal touched nothing this edition holds
            editions.discard(built.bucket, built.prefix)
            placed = repo.acknowledge_retractions(pub, now=iso(now()))
        else:
            placed = repo.set_edition(
                pub,
                revision=pub.revision + 1,
                bucket=built.bucket,
                edition=built.files,
                left_out=built.left_out,
                now=iso(now()),
            )
        old = pub
        found = repo.get_publication(pub.pack_id, pub.version)
        if found is None:
            editions.discard(built.bucket, built.prefix)
            return None, removed
        pub = found
        if not placed:  # another worker moved on, or a withdrawal came during the build: again
            if not unchanged:
                editions.discard(built.bucket, built.prefix)
            continue
        folder = edition_folder(old)
        if not unchanged and old.revision > 0 and old.bucket and folder:
            removed = True  # the revision replaced held what was taken away: its files go
            editions.discard(old.bucket, folder)
    if pub.edition_ready:
        return pub, removed
    raise Conflict(f"the edition of pack {pub.pack_id} v{pub.version} keeps changing: retry")


def fan_out(
    store: ConferenceRepo,
    repo: Any,
    queue: Queue,
    editions: Editions,
    pack_id: str,
    version: int,
    *,
    now: Callable[[], dt.datetime] = utcnow,
) -> FanOut | None:
    """Build the publication's edition, then enqueue its deliveries. Safe to repeat: a finished
    fan-out is not done again, and one that died half-way starts over (a delivery is done once however
    often it is enqueued). None if there is no such publication (or its event or target is gone)."""
    pub = repo.get_publication(pack_id, version)
    if pub is None:
        return None
    if pub.status == "enqueued":  # a redelivered message: every delivery is on the queue already
        return FanOut(pub.recipients, pub.deliveries, pub.by_channel)
    event = store.get_event(pub.event_id)
    if event is None or prepare_edition(repo, editions, pub, now=now)[0] is None:
        return None
    ids, only_members = audience(store, repo, pub, event)
    recipients = 0
    by_channel: dict[str, int] = {}
    next_progress = PROGRESS_EVERY
    pending: list[Job] = []  # carried across chunks so every SendMessageBatch but the last is full
    for batch in itertools.batched(ids, CHUNK):
        chunk = list(batch)
        if only_members:
            allowed = store.members_of_event(pub.event_id, chunk)
            chunk = [m for m in chunk if m in allowed]
        routes = repo.routes_of(chunk)
        for member_id in chunk:
            pending.append(Job(pack_id, version, member_id, INBOX, INBOX))
            for route in routes.get(member_id, ()):
                if route.type in SENDING_TYPES:
                    pending.append(Job(pack_id, version, member_id, route.channel_id, route.type))
        full = len(pending) - len(pending) % BATCH
        _enqueue(queue, pending[:full], by_channel)
        pending = pending[full:]
        recipients += len(chunk)
        if recipients >= next_progress:  # a progress indication for the publisher
            next_progress += PROGRESS_EVERY
            _record(repo, pub, "fanning-out", recipients, by_channel, now())
    _enqueue(queue, pending, by_channel)
    _record(repo, pub, "enqueued", recipients, by_channel, now())
    logger.info("pack fanned out", extra={"pack_id": pack_id, "version": version, "recipients": recipients})
    return FanOut(recipients, sum(by_channel.values()), by_channel)


def _enqueue(queue: Queue, jobs: list[Job], by_channel: dict[str, int]) -> None:
    queue.send(jobs)
    for job in jobs:
        by_channel[job.channel_type] = by_channel.get(job.channel_type, 0) + 1


def _record(
    repo: Any, pub: Publication, status: str, recipients: int, by_channel: dict, at: dt.datetime
) -> None:
    pub.status, pub.recipients, pub.by_channel = status, recipients, dict(by_channel)
    pub.deliveries = sum(by_channel.values())
    repo.update_publication(pub, now=iso(at))


def retract(repo: Any, queue: Queue, editions: Editions, pack_id: str, version: int) -> int:
    """A withdrawal touched the publication: rebuild its edition (keeping only what it held) and
    enqueue a retraction for every webhook and Mastodon delivery of it. An edition not built yet is
    built by the fan-out from the current state."""
    pub = repo.get_publication(pack_id, version)
    if pub is None or pub.revoked_at or pub.revision == 0:
        return 0  # revoked: nobody fetches it any more; not built yet: the fan-out builds it
    _, removed = prepare_edition(repo, editions, pub)
    if not removed:
        return 0  # nothing it held was taken away: nothing to announce
    jobs = [
        Job(d.job.pack_id, d.job.version, d.job.recipient_id, d.job.channel_id, d.job.channel_type, "retract")
        for d in repo.retractable(pack_id, version)
    ]
    queue.send(jobs)
    logger.info("pack retracted", extra={"pack_id": pack_id, "version": version, "retractions": len(jobs)})
    return len(jobs)


def revoke(
    store: ConferenceRepo, packs: Any, repo: Any, caller: Caller, pack_id: str, version: int
) -> Publication:
    """The publisher takes a publication back: its inbox entries, feed entries and links answer 410
    from now on (what was downloaded already is beyond reach, as with any letter)."""
    _publisher_pack(store, packs, caller, pack_id)
    pub = repo.get_publication(pack_id, version)
    if pub is None:
        raise NotFound(f"pack {pack_id} has no publication of version {version}")
    repo.revoke_publication(pub, now=iso(utcnow()))
    found = repo.get_publication(pack_id, version)
    assert found is not None
    return found


def preview(
    store: ConferenceRepo, packs: Any, caller: Caller, pack_id: str, count: Callable[..., Any]
) -> dict:
    """What publishing the pack now would send, for its publisher: the circulated edition's items by
    group and the notes it leaves out, with why. ``count(pack)`` reads the edition's content."""
    pack = _publisher_pack(store, packs, caller, pack_id)
    event = store.get_event(pack.target.event_id)
    if event is None:
        raise NotFound(f"pack {pack_id} not found")
    includes, left_out = count(pack)
    t = pack.target
    audience_text = {
        "personal": "the members who follow you",
        "session": "the event's attendees and the followers of the session and of the event",
        "event": "the event's attendees and the followers of the event",
    }[t.kind]
    only = members_only(t.kind, event)
    from backchannel.packs.pieces import LEFT_OUT

    return {
        "packId": pack.id,
        "version": pack.ready_version if pack.served else None,
        "audience": audience_text + (", if they are members of the event" if only else ""),
        "membersOnly": only,
        "includes": includes,
        "leftOut": [{"reason": r, "count": n, "why": LEFT_OUT[r]} for r, n in sorted(left_out.items())],
    }
