"""Live rules (pure: no boto3, no event shapes): subscribing, live messages and their recipients.

A connection belongs to a member (the verified ``?token=`` of ``$connect``) or to nobody. It may
subscribe to an event or a session it may see (:func:`backchannel.conference.rules.visible_event`,
``visible_session``): an unknown or invisible one is the same 404. Each subscription stores the
event it concerns and whether the subscriber was an organiser or attendee of it then; the push worker
checks visibility again for every message, so a post of a private event reaches only those who are
its organisers or attendees at that moment, whatever they were when they subscribed.

Messages the server sends (JSON text frames), every one with a ``type``:

| type | when | fields |
|---|---|---|
| ``subscribed`` / ``unsubscribed`` | reply to ``subscribe`` / ``unsubscribe`` | ``eventId`` or ``sessionId`` |
| ``error`` | reply to a refused action | ``status, title, detail, errors?`` |
| ``posts`` | a tick: PostCreated, coalesced per topic (:mod:`backchannel.live.ticks`) | ``eventId``, ``sessionId?`` (the topic), ``posts`` (newest first), ``more? {count, cursor}`` |
| ``post.deleted`` | PostDeleted | ``id, eventId, sessionId?, post {id, eventId, sessionId?}`` |
| ``question.asked`` / ``question.voted`` / ``question.answered`` | QuestionAsked / QuestionVoted / QuestionAnswered | ``id, eventId, sessionId?, question`` |
| ``summary.published`` | SummaryPublished | ``id, eventId, sessionId, summary {sessionId, eventId, version, publishedAt}`` |

Delivery is at least once: a message may repeat after a retry (same ``id``; a post: same post ``id``).

New posts travel in ticks (:func:`push_batch`): one ``posts`` message per topic and connection at most
every tick interval, with a sample of the posts and a ``more`` marker counting the rest. Everything
else is pushed as it comes, one message per domain event (:func:`push`).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from backchannel.conference.model import ATTENDEE, ORGANISER
from backchannel.conference.rules import can_view, membership_of, visible_event, visible_session
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import BadRequest, Conflict, FieldError, NotFound, ValidationFailed
from backchannel.core.model import Caller
from backchannel.live import ticks
from backchannel.live.model import (
    EVENT,
    SESSION,
    Connection,
    LiveMessage,
    PushOutcome,
    Subscription,
    TickPart,
    Topic,
)
from backchannel.live.store import ConnectionsRepo, Sender, Throttled

_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def now_epoch() -> int:
    return int(time.time())


def connect(
    conns: ConnectionsRepo, connection_id: str, caller: Caller | None, *, ttl_s: int, now: int | None = None
) -> Connection:
    now = now_epoch() if now is None else now
    connection = Connection(
        connection_id=connection_id,
        member_id=caller.member_id if caller else None,
        connected_at=dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        expires_at=now + ttl_s,
    )
    conns.put_connection(connection)
    return connection


def parse_topic(data: Any) -> Topic:
    """``{"eventId": ...}`` or ``{"sessionId": ...}`` (exactly one), ids of letters, digits, - and _."""
    if not isinstance(data, dict):
        raise BadRequest('send a JSON object such as {"action": "subscribe", "eventId": "..."}')
    given = [(kind, data[f"{kind}Id"]) for kind in (EVENT, SESSION) if data.get(f"{kind}Id") is not None]
    if len(given) != 1:
        raise ValidationFailed(FieldError("eventId", "give exactly one of eventId and sessionId"))
    kind, value = given[0]
    if not isinstance(value, str) or not _ID.match(value):
        raise ValidationFailed(FieldError(f"{kind}Id", "must be an id (letters, digits, - and _)"))
    return Topic(kind, value)


def _connection(conns: ConnectionsRepo, connection_id: str) -> Connection:
    connection = conns.get_connection(connection_id)
    if connection is None:
        raise NotFound("this connection is not known (it may have expired): connect again")
    return connection


def subscribe(
    store: ConferenceRepo,
    conns: ConnectionsRepo,
    connection_id: str,
    data: Any,
    *,
    ttl_s: int,
    max_subscriptions: int,
    now: int | None = None,
) -> dict[str, Any]:
    """Subscribe the connection to an event or a session its owner may see; the reply to send."""
    now = now_epoch() if now is None else now
    topic = parse_topic(data)
    connection = _connection(conns, connection_id)
    caller = Caller(member_id=connection.member_id) if connection.member_id else None
    if topic.kind == EVENT:
        event, membership = visible_event(store, topic.id, caller, need_membership=caller is not None)
    else:
        _, event = visible_session(store, topic.id, caller)
        membership = membership_of(store, event.id, caller)
    insider = membership is not None and bool(membership.roles & {ORGANISER, ATTENDEE})
    existing = conns.subscriptions_of(connection_id)
    if topic.key not in {s.topic for s in existing} and len(existing) >= max_subscriptions:
        raise Conflict(f"a connection may follow at most {max_subscriptions} events and sessions")
    conns.put_subscription(
        Subscription(connection_id, topic.key, event.id, connection.member_id, insider, now + ttl_s)
    )
    conns.refresh(connection_id, now + ttl_s)
    return {"type": "subscribed", **topic.to_dict()}


def unsubscribe(
    conns: ConnectionsRepo, connection_id: str, data: Any, *, ttl_s: int, now: int | None = None
) -> dict[str, Any]:
    """Stop following (idempotent: unsubscribing twice is fine)."""
    now = now_epoch() if now is None else now
    topic = parse_topic(data)
    _connection(conns, connection_id)
    conns.delete_subscription(connection_id, topic.key)
    conns.refresh(connection_id, now + ttl_s)
    return {"type": "unsubscribed", **topic.to_dict()}


def disconnect(conns: ConnectionsRepo, connection_id: str) -> None:
    conns.delete_connection(connection_id)


_ENVELOPE = ("schemaVersion", "domainEventId", "occurredAt")


# detail-type -> (message type, entity key, fields of the entity that travel; None = all public ones)
_MESSAGES: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "PostCreated": ("post.created", "post", None),
    "PostDeleted": ("post.deleted", "post", ("id", "eventId", "sessionId")),
    "QuestionAsked": ("question.asked", "question", None),
    "QuestionVoted": ("question.voted", "question", None),
    "QuestionAnswered": ("question.answered", "question", None),
    "SummaryPublished": ("summary.published", "summary", ("sessionId", "eventId", "version", "publishedAt")),
}


# Who did something is not broadcast for these (a vote is private to the voter).
_PRIVATE_FIELDS = {"QuestionVoted": ("voterId", "memberId"), "PostCreated": ("seq",)}


LIVE_DETAIL_TYPES = tuple(_MESSAGES)

# Domain events that travel in ticks, coalesced per topic, rather than one message each.
TICKED = frozenset({"PostCreated"})


def live_message(detail_type: str, detail: dict[str, Any]) -> LiveMessage | None:
    """The message followers get for a domain event, or None if it is not one they follow."""
    shape = _MESSAGES.get(detail_type)
    event_id = detail.get("eventId")
    if shape is None or not isinstance(event_id, str) or not event_id:
        return None
    kind, key, fields = shape
    entity = {k: v for k, v in detail.items() if k not in _ENVELOPE}
    if fields is not None:
        entity = {k: entity[k] for k in fields if entity.get(k) is not None}
    for name in _PRIVATE_FIELDS.get(detail_type, ()):
        entity.pop(name, None)
    session_id = detail.get("sessionId") if isinstance(detail.get("sessionId"), str) else None
    message = {"type": kind, "id": detail.get("domainEventId"), "eventId": event_id}
    if session_id:
        message["sessionId"] = session_id
    message[key] = entity
    return LiveMessage(message, event_id, session_id)


def _followers(
    store: ConferenceRepo,
    event_id: str,
    topics: list[str],
    conns: ConnectionsRepo,
    outcome: PushOutcome,
    now: int,
) -> list[Subscription]:
    """The live subscriptions to ``topics`` that may see the event's news now, one per connection."""
    event = store.get_event(event_id)
    if event is None:
        return []
    chosen: dict[str, Subscription] = {}
    allowed: dict[str | None, bool] = {}
    for topic in topics:
        for sub in conns.subscribers(topic):
            if sub.connection_id in chosen:
                continue
            if sub.expires_at <= now:  # TTL deletion lags; an expired connection is gone
                outcome.expired += 1
                continue
            if sub.member_id not in allowed:
                caller = Caller(member_id=sub.member_id) if sub.member_id else None
                membership = membership_of(store, event.id, caller) if event.visibility == "private" else None
                allowed[sub.member_id] = can_view(event, membership)
            if not allowed[sub.member_id]:
                outcome.withheld += 1
                continue
            chosen[sub.connection_id] = sub
    return list(chosen.values())


def recipients(
    store: ConferenceRepo, live: LiveMessage, conns: ConnectionsRepo, *, now: int
) -> tuple[list[Subscription], PushOutcome]:
    """The live subscriptions that may see the message, one per connection."""
    outcome = PushOutcome()
    return _followers(store, live.event_id, live.topics, conns, outcome, now), outcome


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
    followers = _followers(store, event_id, [topic_key], conns, outcome, now)
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
