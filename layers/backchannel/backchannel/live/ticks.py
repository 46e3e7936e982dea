"""Ticks (pure): new posts coalesced per topic, so a keynote's thousands of posts a second reach each
follower as a few readable messages a second.

A tick is one ``posts`` message per followed topic and connection, carrying the posts that arrived
since the topic's last tick. At most ``sample`` of them travel (the newest); the rest are counted in a
``more`` marker whose ``cursor`` is a cursor of the topic's feed (``GET /events/{id}/posts?cursor=``,
or the session's): paging from it returns, newest first, every post older than the last one shown, the
skipped ones first. Nothing is lost: a post is either in a tick or counted in its marker, and the
marker's cursor reaches it.

How often a topic ticks: no more often than every ``min_interval_s``, and no more often than the
management API can carry, ``connections / rate`` seconds for a topic followed by ``connections``
sockets within ``rate`` ``post_to_connection`` calls a second. A quiet topic's first post goes out at
once (nothing ticked in the last interval); only a busy topic waits.
"""

from __future__ import annotations

from typing import Any

from backchannel.core.dynamo import cursor as cursors
from backchannel.live.model import Topic

POSTS = "posts"


def interval_s(connections: int, *, min_interval_s: float, rate: float) -> float:
    """Seconds between two ticks of a topic followed by ``connections`` sockets."""
    return max(min_interval_s, connections / rate if rate > 0 else 0.0)


def more_cursor(oldest_shown_seq: str, shards: int) -> str:
    """The feed cursor that continues below ``oldest_shown_seq`` in every one of the feed's shards."""
    return cursors.encode({str(n): oldest_shown_seq for n in range(max(shards, 1))})


def coalesce(
    topic: Topic, event_id: str, posts: list[dict[str, Any]], *, sample: int, shards: int
) -> dict[str, Any] | None:
    """The tick message of ``topic`` for ``posts`` (entities of PostCreated, each with its feed
    ``seq``), or None if there are none. Repeats of one post (at-least-once) count once."""
    unique = {p["id"]: p for p in posts if isinstance(p.get("id"), str) and isinstance(p.get("seq"), str)}
    newest_first = sorted(unique.values(), key=lambda p: p["seq"], reverse=True)
    if not newest_first:
        return None
    shown, rest = newest_first[: max(sample, 1)], newest_first[max(sample, 1) :]
    message: dict[str, Any] = {"type": POSTS, "eventId": event_id, **topic.to_dict()}
    message["posts"] = [{k: v for k, v in p.items() if k != "seq"} for p in shown]
    if rest:
        message["more"] = {"count": len(rest), "cursor": more_cursor(shown[-1]["seq"], shards)}
    return message
