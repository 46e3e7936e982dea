"""Re-checking collected posts upstream before a pack is built (the packs worker calls this).

A session pack re-checks its session's collected posts, an event pack its event's: Mastodon asks each
status's instance (``GET /api/v1/statuses/:id``), Bluesky asks ``app.bsky.feed.getPosts`` 25 at a time.
A post deleted upstream, or whose author opted out since, is deleted here (``PostDeleted``: it leaves
the feeds, live followers' pages and every pack); an edited one is stored again with its new text.
An event without sources costs one Query and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator

from backchannel.capture.model import Post
from backchannel.capture.store import CaptureRepo
from backchannel.collect.clients import recheckers
from backchannel.collect.networks import Http
from backchannel.collect.rules import SourcesRepo, refresh
from backchannel.conference.store import ConferenceRepo

PAGE = 100
MAX_PAGES = 20  # the newest 2,000 posts of a target: a pack shows far fewer


def _posts(capture: CaptureRepo, shards: int, kind: str, target_id: str) -> Iterator[Post]:
    read = capture.session_posts if kind == "session" else capture.event_posts
    cursor = None
    for _ in range(MAX_PAGES):
        posts, cursor = read(target_id, shards, PAGE, cursor)
        yield from posts
        if not cursor:
            return


def refresh_target(
    store: ConferenceRepo,
    capture: CaptureRepo,
    sources: SourcesRepo,
    event_id: str,
    kind: str,
    target_id: str,
    *,
    via: Http | None = None,
) -> tuple[int, int]:
    """(deleted, edited) collected posts of a session's or an event's pack target."""
    event = store.get_event(event_id)
    found = sources.list(event_id) if event else []
    if event is None or not found:
        return 0, 0
    posts = (p for p in _posts(capture, event.feed_shards, kind, target_id) if p.origin)
    return refresh(capture, event, posts, recheckers(found, via))
