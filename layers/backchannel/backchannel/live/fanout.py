"""Pushing live messages (no boto3, no event shapes): one message per domain event (:func:`push`), and
new posts coalesced into ticks per topic (:func:`push_batch`, see :mod:`backchannel.live.ticks`), sent
to the followers over a pool of threads (:func:`fan_out`).

A tick's audience bigger than one chunk (``TickSettings.chunk``, 500 connections) is split: the
claimant sends the first chunk itself and hands the others to parallel invocations (``TickChunks``:
a queue the push worker also reads), which send theirs with :func:`send_chunk`. One invocation manages
about a thousand ``post_to_connection`` calls a second; 20 of them carry a 10,000-socket tick in about
half a second, within the management API's rate (the tick interval already keeps a topic's audience
inside it). Connections still throttled after the sender's own retries are handed on again, alone, a
bounded number of times (``TickSettings.chunk_attempts``), so nobody gets a tick twice."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from backchannel.conference.store import ConferenceRepo
from backchannel.live import ticks
from backchannel.live.model import PushOutcome, Subscription, TickPart, Topic
from backchannel.live.rules import TICKED, followers_of, live_message, now_epoch, recipients
from backchannel.live.store import ConnectionsRepo, Sender, Throttled, TickChunks

PER_THREAD = 50  # a small audience is sent to in order, by one thread


@dataclass
class Blocks:
    """Blocks hide, live too: who blocked an author (``blockers_of``: one Query each, kept for the
    batch) and a question's asker (``asker_of``: question events never carry it)."""

    blockers_of: Callable[[str], set[str]]
    asker_of: Callable[[str], str | None] = lambda _question_id: None
    seen: dict[str, frozenset[str]] = field(default_factory=dict)

    def blockers(self, author_id: str | None) -> frozenset[str]:
        if not author_id:
            return frozenset()
        if author_id not in self.seen:
            self.seen[author_id] = frozenset(self.blockers_of(author_id))
        return self.seen[author_id]

    def prefetch(self, author_ids: set[str | None]) -> None:
        """Read who blocked each of these authors at once (a tick's authors: one round trip, not ten)."""
        unknown = [a for a in author_ids if a and a not in self.seen]
        if len(unknown) > 1:
            with ThreadPoolExecutor(max_workers=len(unknown)) as pool:
                found = pool.map(lambda a: frozenset(self.blockers_of(a)), unknown)
                self.seen.update(zip(unknown, found, strict=True))

    def of_message(self, detail_type: str, detail: dict[str, Any]) -> frozenset[str]:
        """Members who blocked the author of what a (non-tick) message shows."""
        if detail_type.startswith("Question") and isinstance(detail.get("id"), str):
            return self.blockers(self.asker_of(detail["id"]))
        return frozenset()


def audiences(
    followers: list[Subscription], posts: list[dict[str, Any]], blocks: Blocks | None
) -> list[tuple[list[str], list[dict[str, Any]]]]:
    """Who is sent which of a tick's posts: everyone gets them all, except the followers who blocked
    some of their authors, who get them without those (grouped by what they miss). Costs one Query per
    distinct author of the tick (at most its sample, read in parallel) and, only when one of them is blocked by
    somebody, one dictionary look-up per follower."""
    everyone = [f.connection_id for f in followers]
    hiders: dict[str, set[str]] = {}  # member -> the tick's authors they blocked
    authors = {(p.get("author") or {}).get("id") for p in posts} if blocks else set()
    if blocks:
        blocks.prefetch(authors)
    for author in authors:
        for member in blocks.blockers(author):
            hiders.setdefault(member, set()).add(author)
    if not hiders:
        return [(everyone, posts)]
    groups: dict[frozenset[str], list[str]] = {}
    for f in followers:
        groups.setdefault(frozenset(hiders.get(f.member_id or "", ())), []).append(f.connection_id)
    return [
        (targets, [p for p in posts if (p.get("author") or {}).get("id") not in hidden])
        for hidden, targets in groups.items()
    ]


@dataclass
class FanOut:
    sent: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    throttled: list[str] = field(default_factory=list)


def fan_out(sender: Sender, targets: list[str], message: dict[str, Any], *, workers: int) -> FanOut:
    """``message`` to every connection of ``targets``, ``workers`` at a time: what was sent, which
    connections are gone (410) and which stayed throttled (429)."""
    result = FanOut()

    def one(connection_id: str) -> None:
        try:
            delivered = sender.send(connection_id, message)
        except Throttled:
            result.throttled.append(connection_id)
            return
        if delivered:
            result.sent.append(connection_id)  # list.append is atomic: the pool's threads share it
        else:
            result.gone.append(connection_id)

    threads = min(workers, -(-len(targets) // PER_THREAD))
    if threads <= 1:
        for connection_id in targets:
            one(connection_id)
        return result
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, targets))
    return result


def deliver(
    conns: ConnectionsRepo,
    sender: Sender,
    targets: list[str],
    message: dict,
    outcome: PushOutcome,
    workers: int,
) -> None:
    """Send ``message`` to every target over ``workers`` threads; the gone ones are forgotten after
    the others were sent to (so a 410 never holds up the rest)."""
    result = fan_out(sender, targets, message, workers=workers)
    outcome.sent += len(result.sent)
    outcome.gone += len(result.gone)
    outcome.throttled += result.throttled
    for connection_id in result.gone:
        conns.delete_connection(connection_id)


def push(
    store: ConferenceRepo,
    conns: ConnectionsRepo,
    sender: Sender,
    detail_type: str,
    detail: dict[str, Any],
    *,
    now: int | None = None,
    workers: int = 1,
    blocks: Blocks | None = None,
) -> PushOutcome | None:
    """Send a domain event's live message to everyone following it who may see it (not to those who
    blocked its author). A gone connection is deleted; if some stay throttled, :class:`Throttled` is
    raised after trying all the others."""
    live = live_message(detail_type, detail)
    if live is None:
        return None
    targets, outcome = recipients(store, live, conns, now=now_epoch() if now is None else now)
    hidden = blocks.of_message(detail_type, detail) if blocks else frozenset()
    targets = [t for t in targets if t.member_id not in hidden] if hidden else targets
    deliver(conns, sender, [t.connection_id for t in targets], live.message, outcome, workers)
    if outcome.throttled:
        raise Throttled(f"{len(outcome.throttled)} connection(s) still throttled; the message is retried")
    return outcome


@dataclass(frozen=True)
class TickSettings:
    """How ticks are cut: posts per tick (``sample``), the shortest interval between two ticks of a
    topic, the ``post_to_connection`` calls a second a topic's tick may take (``rate``), and the
    threads that send one tick."""

    sample: int = 10
    min_interval_s: float = 0.25
    rate: float = 8000.0
    workers: int = 32
    slot_attempts: int = 5
    chunk: int = 500  # connections one invocation sends a tick to; a bigger audience is split
    chunk_attempts: int = 3  # sends of a tick to a throttled connection, the first included


def chunked(targets: list[str], size: int) -> list[list[str]]:
    """``targets`` in consecutive chunks of at most ``size`` (one at least, possibly empty)."""
    size = max(1, size)
    return [targets[k : k + size] for k in range(0, len(targets), size)] or [[]]


def send_chunk(
    conns: ConnectionsRepo,
    sender: Sender,
    chunks: TickChunks,
    message: dict[str, Any],
    targets: list[str],
    *,
    attempt: int,
    settings: TickSettings = TickSettings(),
) -> PushOutcome:
    """A part of a tick's audience, handed over by its claimant: ``message`` to every one of
    ``targets``; those still throttled are handed on again, alone, until ``chunk_attempts`` sends.
    After the last, the outcome's ``throttled`` names them (the caller fails the job)."""
    outcome = PushOutcome()
    deliver(conns, sender, targets, message, outcome, settings.workers)
    if outcome.throttled and attempt < settings.chunk_attempts:
        chunks.send(message, [outcome.throttled], attempt=attempt + 1)
        outcome.throttled = []
    return outcome


def push_batch(
    store: ConferenceRepo,
    conns: ConnectionsRepo,
    sender: Sender,
    events: list[tuple[str, dict[str, Any]]],
    *,
    read_posts: Callable[[list[str]], dict[str, dict[str, Any]]],
    settings: TickSettings = TickSettings(),
    chunks: TickChunks | None = None,
    now: int | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    blocks: Blocks | None = None,
) -> tuple[PushOutcome, set[int]]:
    """A batch of domain events: new posts added to their topics' next tick (and the tick sent, if
    this worker claims it), the rest pushed one by one. ``read_posts`` gives the public JSON of posts
    by id; ``chunks`` takes the parts of a big tick's audience beyond the first (without it, the
    claimant sends to everyone itself). Returns what it came to and the positions of the events to
    retry (a message or a tick that stayed throttled for some connection, or posts that found no open
    slot). With ``blocks``, nobody is sent what a member they blocked wrote."""
    now = now_epoch() if now is None else now
    total, failed = PushOutcome(), set()
    by_topic: dict[str, tuple[str, list[tuple[int, dict]]]] = {}
    for n, (detail_type, detail) in enumerate(events):
        live = live_message(detail_type, detail)
        if live is None:
            continue
        if detail_type not in TICKED:
            try:
                pushed = push(
                    store,
                    conns,
                    sender,
                    detail_type,
                    detail,
                    now=now,
                    workers=settings.workers,
                    blocks=blocks,
                )
                add_outcome(total, pushed)
            except Throttled:
                failed.add(n)
            continue
        entity = {"id": detail.get("id"), "seq": detail.get("seq")}
        for topic in live.topics:
            by_topic.setdefault(topic, (live.event_id, []))[1].append((n, entity))
    for topic, (event_id, entries) in by_topic.items():
        outcome = PushOutcome()
        done = _tick(
            store,
            conns,
            sender,
            chunks,
            read_posts,
            topic,
            event_id,
            [e for _, e in entries],
            outcome,
            settings,
            now,
            clock,
            sleep,
            blocks,
        )
        if not done:
            failed.update(n for n, _ in entries)
        add_outcome(total, outcome)
    return total, failed


def _tick(
    store,
    conns,
    sender,
    chunks,
    read_posts,
    topic_key,
    event_id,
    posts,
    outcome,
    settings,
    now,
    clock,
    sleep,
    blocks,
) -> bool:
    """Add ``posts`` to the topic's current slot; if this worker claims the slot, wait for its end,
    close it and send its tick to every follower (beyond the first chunk, through ``chunks``). False
    if the posts should be retried. Only the claimant reads the followers (once a slot); the others
    read one small item and write one."""
    count, newest = ticks.part_of(posts, settings.sample)
    if not count:
        return True
    interval = conns.tick_interval(topic_key) or settings.min_interval_s
    step_ms = round(interval * 1000)
    end_ms = ticks.slot_end_ms(clock(), interval)
    part = TickPart(new_part_id(), count, newest)
    for _ in range(settings.slot_attempts):
        if conns.add_to_tick(topic_key, end_ms, part):
            break
        end_ms += step_ms  # that slot closed meanwhile: the next one
    else:
        return False
    if not conns.claim_tick(topic_key, end_ms):
        return True  # the slot's claimant sends it
    sleep(max(0.0, end_ms / 1000 - clock()))
    parts = conns.close_tick(topic_key, end_ms)
    followers = followers_of(store, event_id, [topic_key], conns, outcome, now)
    fitting = ticks.interval_s(len(followers), min_interval_s=settings.min_interval_s, rate=settings.rate)
    if fitting != interval:  # the audience grew or shrank: later slots follow
        conns.set_tick_interval(topic_key, fitting)
    if not followers:
        return True
    shown, rest = ticks.merge([(p.count, p.newest) for p in parts], settings.sample)
    found = read_posts([post_id for _, post_id in shown])
    bodies = [found[post_id] for _, post_id in shown if post_id in found]  # a deleted one is gone
    if not bodies and not rest:
        return True
    event = store.get_event(event_id)
    kind, _, topic_id = topic_key.partition("#")
    outcome.ticks += 1
    groups = []  # (message, connections): one message for everyone, or one per set of blocked authors
    for targets, posts_shown in audiences(followers, bodies, blocks):
        if not posts_shown and not rest:
            continue  # everything of this tick was written by members they blocked
        message = ticks.message(
            Topic(kind, topic_id),
            event_id,
            posts_shown,
            rest,
            shown[-1][0],
            shards=event.feed_shards if event else 1,
        )
        groups.append((message, targets))
    if chunks is None:
        for message, targets in groups:
            deliver(conns, sender, targets, message, outcome, settings.workers)
        return not outcome.throttled
    own, room = [], settings.chunk  # the claimant sends to the first chunk's worth of connections
    for message, targets in groups:
        mine, beyond = targets[:room], targets[room:]
        room -= len(mine)
        if beyond:  # first: the parallel invocations start while this one sends
            chunks.send(message, chunked(beyond, settings.chunk))
        if mine:
            own.append((message, mine))
    for message, mine in own:
        deliver(conns, sender, mine, message, outcome, settings.workers)
        if outcome.throttled:  # handed on alone: the posts are not retried, nobody gets the tick twice
            chunks.send(message, [outcome.throttled], attempt=2)
            outcome.throttled = []
    return True


def new_part_id() -> str:
    return uuid.uuid4().hex


def add_outcome(total: PushOutcome, part: PushOutcome | None) -> None:
    """Add ``part``'s counts to ``total``."""
    if part is None:
        return
    for name in ("sent", "gone", "expired", "withheld", "ticks"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.throttled += part.throttled
