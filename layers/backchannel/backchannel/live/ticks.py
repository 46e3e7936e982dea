"""Ticks (pure): new posts coalesced per topic, so a keynote's thousands of posts a second reach each
follower as a few readable messages a second.

A tick is one ``posts`` message per followed topic and connection, carrying the posts that arrived
since the topic's last tick. At most ``sample`` of them travel (the newest); the rest are counted in a
``more`` marker whose ``cursor`` is a cursor of the topic's feed (``GET /events/{id}/posts?cursor=``,
or the session's): paging from it returns, newest first, every post older than the last one shown, the
skipped ones first. Nothing is lost: a post is either in a tick or counted in its marker, and the
marker's cursor reaches it.

How often a topic ticks: once per *slot*, a stretch of ``interval_s`` seconds; the interval is no
shorter than ``min_interval_s`` (0.25 s: at most 4 messages a second per topic followed) and long
enough for the management API to carry a tick to the whole audience (``connections / rate``). A post
waits at most one slot.

On AWS many push workers hold posts of one topic at once (SQS hands out batches of 10 to up to
``MaximumConcurrency`` invocations, 300 a second at 3,000 posts a second). Each adds a small *part* to
the topic's current slot (the count and the ``seq|id`` of its newest posts, about 1 KB); the one that
claims the slot waits for its end, closes it, merges the parts (:func:`merge`), reads the posts to show
and sends the tick. The slot's items live in the connections table
(:mod:`backchannel.live.connections`).
"""

from __future__ import annotations

from typing import Any

from backchannel.core.dynamo import cursor as cursors
from backchannel.live.model import Topic

POSTS = "posts"


def interval_s(connections: int, *, min_interval_s: float, rate: float) -> float:
    """Seconds between two ticks of a topic followed by ``connections`` sockets: the audience's share
    of the management API's rate, rounded up to ``min_interval_s`` times a power of two, so that the
    slots of every interval line up on the shortest one's grid."""
    needed = connections / rate if rate > 0 else 0.0
    interval = min_interval_s
    while interval < needed:
        interval *= 2
    return interval


def slot_end_ms(now_s: float, interval: float) -> int:
    """The end (epoch ms) of the slot that ``now_s`` falls in: the next multiple of the interval."""
    step = max(1, round(interval * 1000))
    return (int(now_s * 1000) // step + 1) * step


def part_of(posts: list[dict[str, Any]], sample: int) -> tuple[int, list[tuple[str, str]]]:
    """A worker's share of a tick: how many distinct posts, and the ``(seq, id)`` of the newest
    ``sample`` of them (only those can be among the tick's newest)."""
    unique = {
        p["id"]: p["seq"] for p in posts if isinstance(p.get("id"), str) and isinstance(p.get("seq"), str)
    }
    newest = sorted(((seq, post_id) for post_id, seq in unique.items()), reverse=True)[: max(sample, 1)]
    return len(unique), newest


def merge(parts: list[tuple[int, list[tuple[str, str]]]], sample: int) -> tuple[list[tuple[str, str]], int]:
    """The tick of a slot's parts: the newest ``sample`` posts of them all (the newest overall are
    among each part's newest) and how many others there are."""
    seen: dict[str, str] = {}
    for _, newest in parts:
        for seq, post_id in newest:
            seen[post_id] = seq
    shown = sorted(((seq, post_id) for post_id, seq in seen.items()), reverse=True)[: max(sample, 1)]
    return shown, max(0, sum(count for count, _ in parts) - len(shown))


def more_cursor(oldest_shown_seq: str, shards: int) -> str:
    """The feed cursor that continues below ``oldest_shown_seq`` in every one of the feed's shards."""
    return cursors.encode({str(n): oldest_shown_seq for n in range(max(shards, 1))})


def message(
    topic: Topic, event_id: str, posts: list[dict[str, Any]], rest: int, oldest_shown_seq: str, *, shards: int
) -> dict[str, Any]:
    """The ``posts`` message of a tick: ``posts`` (public JSON, newest first) and, if ``rest`` others
    arrived, the marker that counts them and loads them from the feed."""
    out: dict[str, Any] = {"type": POSTS, "eventId": event_id, **topic.to_dict(), "posts": posts}
    if rest:
        out["more"] = {"count": rest, "cursor": more_cursor(oldest_shown_seq, shards)}
    return out
