"""Live rules with in-memory fakes: who may follow what, the messages, and who is sent them."""

from __future__ import annotations

import datetime as dt

import pytest

from backchannel.conference.model import ATTENDEE, ORGANISER, Event, Membership, Session
from backchannel.core.errors import Conflict, NotFound, ValidationFailed
from backchannel.core.model import Caller
from backchannel.live import fanout, rules
from backchannel.live.model import Connection, Subscription
from backchannel.live.store import Throttled
from tests.support.fakes import MemoryStore

NOW = 1_800_000_000
TTL = 7200
OLGA, ANA, EVE = "member-olga", "member-ana", "member-eve"


class MemoryConnections:
    def __init__(self) -> None:
        self.connections: dict[str, Connection] = {}
        self.subs: dict[tuple[str, str], Subscription] = {}
        self.slots: dict[tuple[str, int], dict] = {}
        self.intervals: dict[str, float] = {}

    def put_connection(self, connection):
        self.connections[connection.connection_id] = connection

    def get_connection(self, connection_id):
        return self.connections.get(connection_id)

    def subscriptions_of(self, connection_id):
        return [s for (c, _), s in self.subs.items() if c == connection_id]

    def put_subscription(self, sub):
        self.subs[(sub.connection_id, sub.topic)] = sub

    def delete_subscription(self, connection_id, topic):
        self.subs.pop((connection_id, topic), None)

    def refresh(self, connection_id, expires_at):
        import dataclasses

        if connection_id in self.connections:
            c = self.connections[connection_id]
            self.connections[connection_id] = dataclasses.replace(c, expires_at=expires_at)
        for key, s in list(self.subs.items()):
            if key[0] == connection_id:
                self.subs[key] = dataclasses.replace(s, expires_at=expires_at)

    def delete_connection(self, connection_id):
        self.connections.pop(connection_id, None)
        for key in [k for k in self.subs if k[0] == connection_id]:
            del self.subs[key]

    def subscribers(self, topic):
        return [s for (_, t), s in self.subs.items() if t == topic]

    def tick_interval(self, topic):
        return self.intervals.get(topic)

    def set_tick_interval(self, topic, interval_s):
        self.intervals[topic] = interval_s

    def add_to_tick(self, topic, end_ms, part):
        """As the connections table's transaction: refused once the slot is closed."""
        slot = self.slots.setdefault((topic, end_ms), {"claimed": False, "closed": False, "parts": []})
        if slot["closed"]:
            return False
        slot["parts"].append(part)
        return True

    def claim_tick(self, topic, end_ms):
        slot = self.slots.setdefault((topic, end_ms), {"claimed": False, "closed": False, "parts": []})
        claimed, slot["claimed"] = slot["claimed"], True
        return not claimed

    def close_tick(self, topic, end_ms):
        slot = self.slots.setdefault((topic, end_ms), {"claimed": True, "closed": False, "parts": []})
        slot["closed"] = True
        return list(slot["parts"])


class RecordingSender:
    """Delivers into per-connection inboxes, like a client would receive; some connections are gone
    (410) or throttled (429)."""

    def __init__(self, gone=(), throttled=()) -> None:
        self.inbox: dict[str, list[dict]] = {}
        self.gone = set(gone)
        self.throttled = set(throttled)

    def send(self, connection_id, message):
        if connection_id in self.gone:
            return False
        if connection_id in self.throttled:
            raise Throttled(connection_id)
        self.inbox.setdefault(connection_id, []).append(message)
        return True


def _event(event_id: str, visibility: str) -> Event:
    day = dt.date(2030, 6, 1)
    return Event(event_id, "Camp", f"tag{event_id}", day, day, "UTC", visibility, OLGA, "t", "t")


@pytest.fixture
def store():
    s = MemoryStore()
    for event_id, visibility in (("PUB", "public"), ("PRIV", "private")):
        s.events[event_id] = _event(event_id, visibility)
        s.memberships[(event_id, OLGA)] = Membership(event_id, OLGA, {ORGANISER}, "t")
    s.memberships[("PRIV", ANA)] = Membership("PRIV", ANA, {ATTENDEE}, "t")
    start = dt.datetime(2030, 6, 1, 9, tzinfo=dt.UTC)
    s.sessions["SPRIV"] = Session("SPRIV", "PRIV", "Keynote", start, start + dt.timedelta(hours=1), "t", "t")
    s.sessions["SPUB"] = Session("SPUB", "PUB", "Talk", start, start + dt.timedelta(hours=1), "t", "t")
    return s


@pytest.fixture
def conns():
    return MemoryConnections()


def connect(conns, cid, member=None):
    return rules.connect(conns, cid, Caller(member) if member else None, ttl_s=TTL, now=NOW)


def subscribe(store, conns, cid, now=NOW, **topic):
    return rules.subscribe(store, conns, cid, topic, ttl_s=TTL, max_subscriptions=3, now=now)


def post_created(event_id="PUB", session_id=None, n=1):
    detail = {
        "schemaVersion": 1,
        "domainEventId": f"dom-{n}",
        "occurredAt": "2030-06-01T09:00:00Z",
        "id": f"post-{n}",
        "eventId": event_id,
        "authorId": ANA,
        "text": "hello #camp",
        "hashtags": ["camp"],
        "mentions": [],
        "links": [],
        "createdAt": "2030-06-01T09:00:00Z",
    }
    if session_id:
        detail["sessionId"] = session_id
    return detail


def test_anyone_may_follow_a_public_event_and_its_sessions(store, conns):
    connect(conns, "c1")
    assert subscribe(store, conns, "c1", eventId="PUB") == {"type": "subscribed", "eventId": "PUB"}
    assert subscribe(store, conns, "c1", sessionId="SPUB") == {"type": "subscribed", "sessionId": "SPUB"}
    assert {s.topic for s in conns.subscriptions_of("c1")} == {"event#PUB", "session#SPUB"}


@pytest.mark.parametrize("member", [None, EVE])
def test_a_private_event_is_not_found_for_outsiders(store, conns, member):
    connect(conns, "c1", member)
    with pytest.raises(NotFound):
        subscribe(store, conns, "c1", eventId="PRIV")
    with pytest.raises(NotFound):
        subscribe(store, conns, "c1", sessionId="SPRIV")
    assert conns.subscriptions_of("c1") == []


def test_attendees_and_organisers_follow_a_private_event(store, conns):
    connect(conns, "ana", ANA)
    connect(conns, "olga", OLGA)
    subscribe(store, conns, "ana", sessionId="SPRIV")
    subscribe(store, conns, "olga", eventId="PRIV")
    assert [s.insider for s in conns.subscribers("session#SPRIV")] == [True]
    assert [s.event_id for s in conns.subscribers("event#PRIV")] == ["PRIV"]


def test_unknown_ids_and_bad_messages_are_refused(store, conns):
    connect(conns, "c1")
    with pytest.raises(NotFound):
        subscribe(store, conns, "c1", eventId="NOPE")
    for bad in ({}, {"eventId": "PUB", "sessionId": "SPUB"}, {"eventId": "a/b"}, {"eventId": 7}):
        with pytest.raises(ValidationFailed):
            rules.subscribe(store, conns, "c1", bad, ttl_s=TTL, max_subscriptions=3, now=NOW)


def test_an_unknown_connection_cannot_subscribe(store, conns):
    with pytest.raises(NotFound):
        subscribe(store, conns, "ghost", eventId="PUB")


def test_subscriptions_per_connection_are_bounded(store, conns):
    connect(conns, "c1", OLGA)
    for topic in ({"eventId": "PUB"}, {"eventId": "PRIV"}, {"sessionId": "SPUB"}):
        subscribe(store, conns, "c1", **topic)
    subscribe(store, conns, "c1", eventId="PUB")  # again: not a new one
    with pytest.raises(Conflict):
        subscribe(store, conns, "c1", sessionId="SPRIV")


def test_activity_refreshes_the_expiry_and_unsubscribe_is_idempotent(store, conns):
    connect(conns, "c1")
    subscribe(store, conns, "c1", eventId="PUB", now=NOW + 100)
    assert conns.get_connection("c1").expires_at == NOW + 100 + TTL
    assert rules.unsubscribe(conns, "c1", {"eventId": "PUB"}, ttl_s=TTL, now=NOW) == {
        "type": "unsubscribed",
        "eventId": "PUB",
    }
    rules.unsubscribe(conns, "c1", {"eventId": "PUB"}, ttl_s=TTL, now=NOW)
    assert conns.subscribers("event#PUB") == []


def test_disconnect_forgets_the_connection_and_its_subscriptions(store, conns):
    connect(conns, "c1")
    subscribe(store, conns, "c1", eventId="PUB")
    rules.disconnect(conns, "c1")
    assert conns.get_connection("c1") is None
    assert conns.subscribers("event#PUB") == []


# -- messages -------------------------------------------------------------------------------------


def test_a_post_message_carries_the_public_post_without_envelope_fields():
    live = rules.live_message("PostCreated", post_created(session_id="SPUB"))
    assert live.message == {
        "type": "post.created",
        "id": "dom-1",
        "eventId": "PUB",
        "sessionId": "SPUB",
        "post": {
            "id": "post-1",
            "eventId": "PUB",
            "sessionId": "SPUB",
            "authorId": ANA,
            "text": "hello #camp",
            "hashtags": ["camp"],
            "mentions": [],
            "links": [],
            "createdAt": "2030-06-01T09:00:00Z",
        },
    }
    assert live.topics == ["event#PUB", "session#SPUB"]


def test_votes_do_not_say_who_voted_and_other_events_are_not_live():
    live = rules.live_message(
        "QuestionVoted", {"domainEventId": "d", "eventId": "PUB", "id": "q1", "votes": 2, "voterId": EVE}
    )
    assert live.message["question"] == {"id": "q1", "eventId": "PUB", "votes": 2}
    assert rules.live_message("NoteShared", {"eventId": "PUB"}) is None
    assert rules.live_message("PostCreated", {"id": "p"}) is None
    summary = rules.live_message(
        "SummaryPublished",
        {
            "domainEventId": "d",
            "eventId": "PUB",
            "sessionId": "SPUB",
            "version": 2,
            "publishedAt": "t",
            "body": "x",
        },
    )
    assert summary.message["summary"] == {
        "sessionId": "SPUB",
        "eventId": "PUB",
        "version": 2,
        "publishedAt": "t",
    }


# -- pushing --------------------------------------------------------------------------------------


def test_followers_of_the_event_or_the_session_get_a_post_once(store, conns):
    for cid in ("both", "event", "session", "other"):
        connect(conns, cid)
    subscribe(store, conns, "both", eventId="PUB")
    subscribe(store, conns, "both", sessionId="SPUB")
    subscribe(store, conns, "event", eventId="PUB")
    subscribe(store, conns, "session", sessionId="SPUB")
    sender = RecordingSender()
    outcome = fanout.push(store, conns, sender, "PostCreated", post_created(session_id="SPUB"), now=NOW)
    assert outcome.sent == 3
    assert {cid: [m["post"]["id"] for m in msgs] for cid, msgs in sender.inbox.items()} == {
        "both": ["post-1"],
        "event": ["post-1"],
        "session": ["post-1"],
    }


def test_a_private_events_posts_reach_only_its_current_attendees_and_organisers(store, conns):
    connect(conns, "ana", ANA)
    connect(conns, "olga", OLGA)
    subscribe(store, conns, "ana", eventId="PRIV")
    subscribe(store, conns, "olga", eventId="PRIV")
    # a forged or stale subscription of an outsider (say, from before the event went private)
    conns.put_subscription(Subscription("eve", "event#PRIV", "PRIV", EVE, False, NOW + TTL))
    conns.put_subscription(Subscription("anon", "event#PRIV", "PRIV", None, False, NOW + TTL))
    sender = RecordingSender()
    fanout.push(store, conns, sender, "PostCreated", post_created("PRIV"), now=NOW)
    assert set(sender.inbox) == {"ana", "olga"}

    del store.memberships[("PRIV", ANA)]  # ana leaves
    sender = RecordingSender()
    outcome = fanout.push(store, conns, sender, "PostCreated", post_created("PRIV", n=2), now=NOW)
    assert set(sender.inbox) == {"olga"}
    assert outcome.withheld == 3


def test_an_event_that_went_private_stops_reaching_anonymous_followers(store, conns):
    connect(conns, "anon")
    subscribe(store, conns, "anon", eventId="PUB")
    store.events["PUB"].visibility = "private"
    sender = RecordingSender()
    fanout.push(store, conns, sender, "PostCreated", post_created("PUB"), now=NOW)
    assert sender.inbox == {}


def test_gone_connections_are_deleted_and_expired_ones_skipped(store, conns):
    for cid in ("alive", "gone", "stale"):
        connect(conns, cid)
        subscribe(store, conns, cid, eventId="PUB")
    conns.refresh("stale", NOW - 1)
    sender = RecordingSender(gone={"gone"})
    outcome = fanout.push(store, conns, sender, "PostCreated", post_created(), now=NOW)
    assert set(sender.inbox) == {"alive"}
    assert (outcome.sent, outcome.gone, outcome.expired) == (1, 1, 1)
    assert conns.get_connection("gone") is None
    assert conns.subscribers("event#PUB") != [] and "gone" not in {
        s.connection_id for s in conns.subscribers("event#PUB")
    }


def test_a_throttled_connection_fails_the_message_after_the_others_got_it(store, conns):
    for cid in ("a", "slow", "b"):
        connect(conns, cid)
        subscribe(store, conns, cid, eventId="PUB")
    sender = RecordingSender(throttled={"slow"})
    with pytest.raises(Throttled):
        fanout.push(store, conns, sender, "PostCreated", post_created(), now=NOW)
    assert set(sender.inbox) == {"a", "b"}
    assert conns.get_connection("slow") is not None


def test_nothing_is_sent_for_a_deleted_event_or_an_event_nobody_follows(store, conns):
    sender = RecordingSender()
    assert fanout.push(store, conns, sender, "PostCreated", post_created("GONE"), now=NOW).sent == 0
    assert fanout.push(store, conns, sender, "PostCreated", post_created("PUB"), now=NOW).sent == 0
    assert fanout.push(store, conns, sender, "EventCreated", {"id": "PUB"}, now=NOW) is None
