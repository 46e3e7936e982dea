"""Ticks with in-memory fakes: a topic's new posts reach each follower as at most one message per tick
interval, carrying a sample of the newest posts and a "more" marker that counts the rest, whatever
the rate; gone connections are forgotten after the others were sent to."""

from __future__ import annotations

import datetime as dt

import pytest

from backchannel.conference.model import ORGANISER, Event, Membership, Session
from backchannel.core.dynamo import cursor as cursors
from backchannel.core.model import Caller
from backchannel.live import rules, ticks
from backchannel.live.model import Topic
from tests.support.fakes import MemoryStore
from tests.unit.live.test_rules import MemoryConnections, RecordingSender

NOW = 1_800_000_000
OLGA = "member-olga"
SETTINGS = rules.TickSettings(sample=5, min_interval_s=0.5, rate=1000.0, workers=8)


@pytest.fixture
def store():
    s = MemoryStore()
    day = dt.date(2030, 6, 1)
    s.events["KEY"] = Event("KEY", "Keynote", "key", day, day, "UTC", "public", OLGA, "t", "t", feed_shards=3)
    s.memberships[("KEY", OLGA)] = Membership("KEY", OLGA, {ORGANISER}, "t")
    start = dt.datetime(2030, 6, 1, 9, tzinfo=dt.UTC)
    s.sessions["TALK"] = Session("TALK", "KEY", "Talk", start, start + dt.timedelta(hours=1), "t", "t")
    return s


def follow(store, conns, cid, **topic):
    rules.connect(conns, cid, Caller(OLGA), ttl_s=7200, now=NOW)
    rules.subscribe(store, conns, cid, topic, ttl_s=7200, max_subscriptions=3, now=NOW)


def post_created(n: int, session_id: str | None = None) -> tuple[str, dict]:
    detail = {
        "domainEventId": f"dom-{n}",
        "id": f"post-{n:05d}",
        "eventId": "KEY",
        "authorId": OLGA,
        "text": f"post {n}",
        "createdAt": "2030-06-01T09:00:00Z",
        "seq": f"SEQ{n:07d}",
    }
    if session_id:
        detail["sessionId"] = session_id
    return "PostCreated", detail


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def push(store, conns, sender, clock, events, settings=SETTINGS):
    return rules.push_batch(
        store, conns, sender, events, settings=settings, now=NOW, clock=clock, sleep=clock.sleep
    )


# -- the tick message ----------------------------------------------------------------------------


def test_a_tick_carries_the_newest_posts_and_counts_the_rest_with_a_cursor_below_them():
    posts = [{"id": f"p{n}", "text": str(n), "seq": f"S{n:03d}"} for n in range(12)]
    message = ticks.coalesce(Topic("event", "KEY"), "KEY", posts + posts[:3], sample=5, shards=3)
    assert message["type"] == "posts" and message["eventId"] == "KEY"
    assert [p["id"] for p in message["posts"]] == ["p11", "p10", "p9", "p8", "p7"]
    assert all("seq" not in p for p in message["posts"])
    assert message["more"]["count"] == 7  # repeats (at-least-once) count once
    # the feed's own cursor: every shard resumes strictly below the oldest post shown
    assert cursors.decode_positions(message["more"]["cursor"], {"0", "1", "2"}) == {
        "0": "S007",
        "1": "S007",
        "2": "S007",
    }


def test_a_tick_no_larger_than_the_sample_has_no_marker():
    posts = [{"id": f"p{n}", "text": str(n), "seq": f"S{n:03d}"} for n in range(5)]
    message = ticks.coalesce(Topic("session", "TALK"), "KEY", posts, sample=5, shards=3)
    assert message["sessionId"] == "TALK" and "more" not in message
    assert ticks.coalesce(Topic("session", "TALK"), "KEY", [], sample=5, shards=3) is None


def test_the_interval_grows_with_the_audience_so_the_management_api_keeps_up():
    assert ticks.interval_s(10, min_interval_s=0.5, rate=10_000) == 0.5
    assert ticks.interval_s(10_000, min_interval_s=0.5, rate=10_000) == 1.0
    assert ticks.interval_s(30_000, min_interval_s=0.5, rate=10_000) == 3.0


# -- pushing batches -----------------------------------------------------------------------------


def test_a_burst_reaches_each_follower_as_one_message_per_topic_with_nothing_lost(store):
    conns = MemoryConnections()
    for n in range(120):  # more than one thread's share: the fan-out runs in parallel
        follow(store, conns, f"e{n}", eventId="KEY")
    follow(store, conns, "s0", sessionId="TALK")
    sender, clock = RecordingSender(), Clock()
    burst = [post_created(n, "TALK" if n % 2 else None) for n in range(40)]

    outcome, retry = push(store, conns, sender, clock, burst)

    assert retry == set() and outcome.ticks == 2
    assert {len(msgs) for msgs in sender.inbox.values()} == {1}
    tick = sender.inbox["e7"][0]
    assert [p["id"] for p in tick["posts"]] == [f"post-{n:05d}" for n in range(39, 34, -1)]
    assert tick["more"]["count"] == 35  # 40 posts: 5 shown, 35 counted
    session_tick = sender.inbox["s0"][0]
    assert session_tick["sessionId"] == "TALK"
    assert len(session_tick["posts"]) + session_tick["more"]["count"] == 20


def test_a_busy_topic_ticks_at_most_once_per_interval(store):
    """Batch after batch arrives (as concurrent workers would take them): each waits for the topic's
    lease, so no follower gets more than one message per interval, and every post is shown or counted."""
    conns = MemoryConnections()
    follow(store, conns, "viewer", eventId="KEY")
    sender, clock = RecordingSender(), Clock()
    sent_at: list[float] = []
    original = sender.send

    def timed(connection_id, message):
        sent_at.append(clock.now)
        return original(connection_id, message)

    sender.send = timed
    n = 0
    for _batch in range(20):  # a batch every 0.1 s of 30 posts: 300 posts a second
        push(store, conns, sender, clock, [post_created(n + k) for k in range(30)])
        n += 30
        clock.now += 0.1
    gaps = [b - a for a, b in zip(sent_at, sent_at[1:], strict=False)]
    assert min(gaps) >= SETTINGS.min_interval_s - 1e-9, gaps
    received = sender.inbox["viewer"]
    assert sum(len(m["posts"]) + m.get("more", {}).get("count", 0) for m in received) == n


def test_gone_connections_are_forgotten_after_the_others_were_sent_to(store):
    conns = MemoryConnections()
    for n in range(200):
        follow(store, conns, f"c{n}", eventId="KEY")
    gone = {f"c{n}" for n in range(0, 200, 7)}
    deleted_while_sending: list[str] = []
    sender = RecordingSender(gone=gone)
    original = sender.send

    def watching(connection_id, message):
        deleted_while_sending.extend(c for c in gone if conns.get_connection(c) is None)
        return original(connection_id, message)

    sender.send = watching
    outcome, retry = push(store, conns, sender, Clock(), [post_created(1)])
    assert retry == set()
    assert (outcome.sent, outcome.gone) == (200 - len(gone), len(gone))
    assert set(sender.inbox) == {f"c{n}" for n in range(200)} - gone
    assert all(conns.get_connection(c) is None for c in gone)
    assert deleted_while_sending == []  # cleanup never held up a send


def test_a_throttled_follower_fails_the_records_of_that_topic_only(store):
    conns = MemoryConnections()
    follow(store, conns, "slow", sessionId="TALK")
    follow(store, conns, "fine", eventId="KEY")
    sender = RecordingSender(throttled={"slow"})
    events = [post_created(1, "TALK"), post_created(2)]
    _, retry = push(store, conns, sender, Clock(), events)
    assert retry == {0}  # the session's post is retried; the event-only post is done
    assert [p["id"] for p in sender.inbox["fine"][0]["posts"]] == ["post-00002", "post-00001"]


def test_a_lease_that_stays_taken_retries_the_records_later(store):
    conns = MemoryConnections()
    follow(store, conns, "viewer", eventId="KEY")
    conns.leases["event#KEY"] = NOW + 3600.0  # another worker holds the topic (a stuck clock, say)
    settings = rules.TickSettings(sample=5, min_interval_s=0.5, rate=1000.0, workers=1, lease_attempts=3)
    sender, clock = RecordingSender(), Clock()
    _, retry = push(store, conns, sender, clock, [post_created(1)], settings)
    assert retry == {0} and sender.inbox == {}
