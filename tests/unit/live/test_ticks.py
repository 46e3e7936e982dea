"""Ticks with in-memory fakes: a topic's new posts reach each follower as at most one message per tick
interval, carrying a sample of the newest posts and a "more" marker that counts the rest, whatever
the rate; gone connections are forgotten after the others were sent to."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from backchannel.conference.model import ORGANISER, Event, Membership, Session
from backchannel.core.dynamo import cursor as cursors
from backchannel.core.model import Caller
from backchannel.live import fanout, rules, ticks
from backchannel.live.model import Topic
from tests.support.fakes import MemoryStore
from tests.unit.live.test_rules import MemoryConnections, RecordingSender

NOW = 1_800_000_000
OLGA = "member-olga"
SETTINGS = fanout.TickSettings(sample=5, min_interval_s=0.25, rate=1000.0, workers=8)


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


class Clock:
    """Simulated time: sleeping advances it, and may first let other workers run (``during_sleep``),
    as concurrent invocations would while the slot's claimant waits for its end."""

    def __init__(self) -> None:
        self.now = float(NOW)
        self.slept: list[float] = []
        self.during_sleep: list = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        while self.during_sleep:
            self.during_sleep.pop(0)()
        self.now += seconds


POSTS: dict[str, dict] = {}


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
    POSTS[detail["id"]] = {k: v for k, v in detail.items() if k not in ("domainEventId", "seq")}
    return "PostCreated", detail


def read_posts(ids):
    return {i: POSTS[i] for i in ids if i in POSTS}


def push(store, conns, sender, clock, events, settings=SETTINGS):
    return fanout.push_batch(
        store,
        conns,
        sender,
        events,
        read_posts=read_posts,
        settings=settings,
        now=NOW,
        clock=clock,
        sleep=clock.sleep,
    )


def shown_or_counted(messages) -> int:
    return sum(len(m["posts"]) + m.get("more", {}).get("count", 0) for m in messages)


# -- the tick ------------------------------------------------------------------------------------


def test_a_slot_shows_the_newest_posts_of_all_its_parts_and_counts_the_rest():
    parts = [
        ticks.part_of([{"id": f"p{n}", "seq": f"S{n:03d}"} for n in range(0, 12, 2)], 3),  # 6 posts
        ticks.part_of([{"id": f"p{n}", "seq": f"S{n:03d}"} for n in range(1, 12, 2)] * 2, 3),  # 6, twice
    ]
    assert [count for count, _ in parts] == [6, 6]  # a repeat (at-least-once) counts once
    shown, rest = ticks.merge(parts, 3)
    assert shown == [("S011", "p11"), ("S010", "p10"), ("S009", "p9")] and rest == 9


def test_the_marker_is_a_feed_cursor_below_the_oldest_post_shown():
    message = ticks.message(Topic("event", "KEY"), "KEY", [{"id": "p9"}], 7, "S009", shards=3)
    assert message == {"type": "posts", "eventId": "KEY", "posts": [{"id": "p9"}], "more": message["more"]}
    assert message["more"]["count"] == 7
    assert cursors.decode_positions(message["more"]["cursor"], {"0", "1", "2"}) == {
        "0": "S009",
        "1": "S009",
        "2": "S009",
    }
    quiet = ticks.message(Topic("session", "TALK"), "KEY", [{"id": "p9"}], 0, "S009", shards=3)
    assert quiet["sessionId"] == "TALK" and "more" not in quiet


def test_the_interval_grows_with_the_audience_on_one_grid():
    assert ticks.interval_s(10, min_interval_s=0.25, rate=10_000) == 0.25
    assert ticks.interval_s(10_000, min_interval_s=0.25, rate=10_000) == 1.0
    assert ticks.interval_s(30_000, min_interval_s=0.25, rate=10_000) == 4.0
    assert ticks.slot_end_ms(1000.1, 0.25) == 1_000_250
    assert ticks.slot_end_ms(1000.25, 1.0) == 1_001_000


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
    assert shown_or_counted([session_tick]) == 20


def test_workers_holding_posts_of_one_topic_at_once_make_one_tick(store):
    """Three workers' batches while the slot is open: one claims it and waits for its end, the others
    add their part and return; the follower gets one message that shows or counts all 60 posts."""
    conns = MemoryConnections()
    follow(store, conns, "viewer", eventId="KEY")
    sender, clock = RecordingSender(), Clock()
    others = [[post_created(20 + k) for k in range(20)], [post_created(40 + k) for k in range(20)]]
    returned = []
    clock.during_sleep = [lambda b=b: returned.append(push(store, conns, sender, clock, b)) for b in others]

    outcome, retry = push(store, conns, sender, clock, [post_created(k) for k in range(20)])

    assert retry == set() and outcome.ticks == 1
    assert [o.ticks for o, _ in returned] == [0, 0]  # they only added their part
    [tick] = sender.inbox["viewer"]
    assert [p["id"] for p in tick["posts"]] == [f"post-{n:05d}" for n in range(59, 54, -1)]
    assert tick["more"]["count"] == 55


def test_a_busy_topic_ticks_at_most_once_per_interval(store):
    """Batch after batch arrives, some of them while a claimant waits: no follower gets more than
    one message per interval, and every post is shown or counted."""
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
    for batch in range(40):  # a batch every 0.05 s of 15 posts: 300 posts a second
        if batch % 3 == 0:  # now and then a second worker's batch lands while the claimant waits
            extra = [post_created(100_000 + n + k) for k in range(5)]
            n += 5
            clock.during_sleep.append(lambda e=extra: push(store, conns, sender, clock, e))
        push(store, conns, sender, clock, [post_created(n + k) for k in range(15)])
        n += 15
        clock.now += 0.05
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert min(gaps) >= SETTINGS.min_interval_s - 1e-9, gaps
    assert shown_or_counted(sender.inbox["viewer"]) == n


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


def test_posts_that_find_every_slot_closed_are_retried(store):
    conns = MemoryConnections()
    follow(store, conns, "viewer", eventId="KEY")
    conns.add_to_tick = lambda *_: False  # every slot closed under it (a stuck clock, say)
    sender = RecordingSender()
    _, retry = push(store, conns, sender, Clock(), [post_created(1)])
    assert retry == {0} and sender.inbox == {}


def test_a_large_audience_stretches_the_slots_so_the_management_api_keeps_up(store):
    conns = MemoryConnections()
    for n in range(600):  # 600 sockets at 1,000 calls a second: a tick takes 0.6 s, so slots of 1 s
        follow(store, conns, f"c{n}", eventId="KEY")
    sender, clock = RecordingSender(), Clock()
    push(store, conns, sender, clock, [post_created(1)])
    assert conns.intervals["event#KEY"] == 1.0
    clock.now = NOW + 10.1
    push(store, conns, sender, clock, [post_created(2)])
    assert clock.now == NOW + 11.0  # the next post waited for the end of a 1-s slot
