"""The sharded live feed: an event's posts are spread over ``feedShards`` index partitions and read back
by merging the shards. Whatever the shard count, page size and writes in between, paging shows every
post once, newest first."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backchannel.capture.dynamo import DynamoCaptureRepo, feed_shard
from backchannel.capture.model import Post
from backchannel.core.ids import new_ulid


def _post(event_id: str, n: int) -> Post:
    return Post(
        id=new_ulid(),
        event_id=event_id,
        author_id=f"m{n % 7}",
        author_name="x",
        text=f"post {n}",
        created_at="2030-01-01T00:00:00.000Z",
        seq=new_ulid(),
    )


# Every shard count an event may have (feedShards 1..32): the few the live ticks and the keynote
# benchmark use by name, and hypothesis's pick among all of them.
SHARD_COUNTS = [1, 16, 32]


@pytest.mark.parametrize("shards", SHARD_COUNTS)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    count=st.integers(0, 60),
    limit=st.integers(1, 15),
    arrivals=st.lists(st.integers(0, 4), max_size=12),
)
def test_paging_a_feed_of_n_shards_shows_every_post_once_newest_first(
    data_table, shards, count, limit, arrivals
):
    _page_through(shards, count, limit, arrivals)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shards=st.integers(1, 32),
    count=st.integers(0, 60),
    limit=st.integers(1, 15),
    arrivals=st.lists(st.integers(0, 4), max_size=12),
)
def test_paging_a_sharded_feed_shows_every_post_once_newest_first(data_table, shards, count, limit, arrivals):
    _page_through(shards, count, limit, arrivals)


def _page_through(shards: int, count: int, limit: int, arrivals: list[int]) -> None:
    store = DynamoCaptureRepo()
    event_id = new_ulid()
    existing = [_post(event_id, n) for n in range(count)]
    for post in existing:
        assert store.put_post(post, shards) is None

    shown, cursor, page_no = [], None, 0
    while True:
        posts, cursor = store.event_posts(event_id, shards, limit, cursor)
        assert len(posts) <= limit
        shown += posts
        # new posts arrive between pages; they are newer than everything already paged
        for n in range(arrivals[page_no] if page_no < len(arrivals) else 0):
            store.put_post(_post(event_id, 1000 + n), shards)
        page_no += 1
        if cursor is None:
            break
    ids = [p.id for p in shown]
    assert len(ids) == len(set(ids)), "a post was shown twice"
    expected = sorted(existing, key=lambda p: p.seq, reverse=True)
    assert [p.id for p in shown] == [p.id for p in expected], "a post is missing or out of order"


def test_since_returns_newer_posts_across_shards_oldest_batch_first(data_table):
    store = DynamoCaptureRepo()
    event_id = new_ulid()
    old = [_post(event_id, n) for n in range(5)]
    for post in old:
        store.put_post(post, 4)
    newer = [_post(event_id, 100 + n) for n in range(9)]
    for post in newer:
        store.put_post(post, 4)
    first = store.event_posts_since(event_id, 4, 5, old[-1].seq)
    assert [p.id for p in first] == [p.id for p in reversed(newer[:5])]
    rest = store.event_posts_since(event_id, 4, 5, first[0].seq)
    assert [p.id for p in rest] == [p.id for p in reversed(newer[5:])]


def test_posts_spread_evenly_over_shards():
    counts = [0] * 4
    for _ in range(4000):
        counts[feed_shard(new_ulid(), 4)] += 1
    assert max(counts) < 1.1 * 1000, counts
