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
| ``post.hidden`` | PostHidden (an organiser hid it: drop it from the page) | ``id, eventId, sessionId?, post {id, eventId, sessionId?}`` |
| ``question.asked`` / ``question.voted`` / ``question.answered`` | QuestionAsked / QuestionVoted / QuestionAnswered | ``id, eventId, sessionId?, question`` |
| ``summary.published`` | SummaryPublished | ``id, eventId, sessionId, summary {sessionId, eventId, version, publishedAt}`` |

Delivery is at least once: a message may repeat after a retry (same ``id``; a post: same post ``id``).

New posts travel in ticks (:func:`backchannel.live.fanout.push_batch`): one ``posts`` message per topic
and connection at most every tick interval, with a sample of the posts and a ``more`` marker counting
the rest. Everything else is pushed as it comes, one message per domain event
(:func:`backchannel.live.fanout.push`).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from backchannel.conference.model import ATTENDEE, ORGANISER
from backchannel.conference.rules import can_view, membership_of, visible_event, visible_session
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import BadRequest, Conflict, FieldError, NotFound, ValidationFailed
from backchannel.core.model import Caller
from backchannel.live.model import (
    EVENT,
    SESSION,
    Connection,
    LiveMessage,
    PushOutcome,
    Subscription,
    Topic,
)
from backchannel.live.store import ConnectionsRepo

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
    "PostHidden": ("post.hidden", "post", ("id", "eventId", "sessionId")),  # an organiser hid it
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


def followers_of(
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
    return followers_of(store, live.event_id, live.topics, conns, outcome, now), outcome
