"""Pushing live messages (no boto3, no event shapes): one message per domain event (:func:`push`), and
new posts coalesced into ticks per topic (:func:`push_batch`, see :mod:`backchannel.live.ticks`), sent
to the followers over a pool of threads (:func:`fan_out`)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from backchannel.conference.store import ConferenceRepo
from backchannel.live import ticks
from backchannel.live.model import PushOutcome, TickPart, Topic
from backchannel.live.rules import TICKED, followers_of, live_message, now_epoch, recipients
from backchannel.live.store import ConnectionsRepo, Sender, Throttled

PER_THREAD = 50  # a small audience is sent to in order, by one thread


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
) -> PushOutcome | None:
    """Send a domain event's live message to everyone following it who may see it. A gone connection
    is deleted; if some stay throttled, :class:`Throttled` is raised after trying all the others."""
    live = live_message(detail_type, detail)
    if live is None:
        return None
    targets, outcome = recipients(store, live, conns, now=now_epoch() if now is None else now)
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


def push_batch(
    store: ConferenceRepo,
    conns: ConnectionsRepo,
    sender: Sender,
    events: list[tuple[str, dict[str, Any]]],
    *,
    read_posts: Callable[[list[str]], dict[str, dict[str, Any]]],
    settings: TickSettings = TickSettings(),
    now: int | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[PushOutcome, set[int]]:
    """A batch of domain events: new posts added to their topics' next tick (and the tick sent, if
    this worker claims it), the rest pushed one by one. ``read_posts`` gives the public JSON of posts
    by id. Returns what it came to and the positions of the events to retry (a message or a tick that
    stayed throttled for some connection, or posts that found no open slot)."""
    now = now_epoch() if now is None else now
    total, failed = PushOutcome(), set()
    by_topic: dict[str, tuple[str, list[tuple[int, dict]]]] = {}
    for n, (detail_type, detail) in enumerate(events):
        live = live_message(detail_type, detail)
        if live is None:
            continue
        if detail_type not in TICKED:
            try:
                _add(
                    total, push(store, conns, sender, detail_type, detail, now=now, workers=settings.workers)
                )
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
            read_posts,
            topic,
            event_id,
            [e for _, e in entries],
            outcome,
            settings,
            now,
            clock,
            sleep,
        )
        if not done:
            failed.update(n for n, _ in entries)
        _add(total, outcome)
    return total, failed


def _tick(
    store, conns, sender, read_posts, topic_key, event_id, posts, outcome, settings, now, clock, sleep
) -> bool:
    """Add ``posts`` to the topic's current slot; if this worker claims the slot, wait for its end,
    close it and send its tick to every follower. False if the posts should be retried. Only the
    claimant reads the followers (once a slot); the others read one small item and write one."""
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
    message = ticks.message(
        Topic(kind, topic_id), event_id, bodies, rest, shown[-1][0], shards=event.feed_shards if event else 1
    )
    outcome.ticks += 1
    deliver(conns, sender, [f.connection_id for f in followers], message, outcome, settings.workers)
    return not outcome.throttled


def new_part_id() -> str:
    return uuid.uuid4().hex


def _add(total: PushOutcome, part: PushOutcome | None) -> None:
    if part is None:
        return
    for name in ("sent", "gone", "expired", "withheld", "ticks"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.throttled += part.throttled
