"""Hashtag sources (organisers only) and the collection cycle that turns upstream posts into posts.

A cycle (:func:`collect`) reads the source and its event, asks the network for each hashtag's posts
after the stored cursor, keeps the public ones whose authors did not opt out
(:mod:`backchannel.collect.consent`), and stores each as an ordinary post: routed to the session
whose hashtag it carries (as a member's post is), with no member as author and its ``origin``
(network, URL, upstream author). The post's id is derived from the event, the network and the
upstream id (:func:`post_id`), so its conditional put dedupes it across sources and re-polls. The
cursor of a hashtag moves only after its posts are stored; a 429 stores the network's reset time and
no call is made before it; an instance that is down is recorded in ``lastError`` and tried again next
cycle. :func:`refresh` re-checks collected posts upstream (before a pack is built): deleted ones, and
those whose authors opted out since, are deleted here too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from backchannel.capture.model import Post
from backchannel.capture.store import CaptureRepo
from backchannel.capture.text import extract_hashtags, extract_links, extract_mentions
from backchannel.collect.model import Source, Upstream
from backchannel.collect.networks import RateLimited, Unavailable
from backchannel.conference.model import Event
from backchannel.conference.rules import organised_event
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from backchannel.core.ids import encode_ulid, new_ulid
from backchannel.core.model import Caller, Input, iso, read_input, utcnow

MAX_SOURCES = 20
MAX_HASHTAGS = 50  # the default set (event + sessions) is cut here: one call per hashtag and cycle
WINDOW = dt.timedelta(days=1)  # collection runs from a day before the event to a day after
BLUESKY_PUBLIC = "https://public.api.bsky.app"
BLUESKY_SIGN_IN = "https://bsky.social"


class SourcesRepo(Protocol):
    def create(self, source: Source) -> None: ...
    def get(self, event_id: str, source_id: str) -> Source | None: ...
    def list(self, event_id: str) -> list[Source]: ...
    def delete(self, source: Source) -> None: ...
    def record(self, source: Source, collected: int) -> bool: ...


class Schedules(Protocol):
    def upsert(self, source: Source, start: dt.datetime, end: dt.datetime) -> bool: ...
    def cancel(self, source: Source) -> None: ...


class Network(Protocol):
    network: str

    def new_posts(self, tag: str, cursor: str | None) -> tuple[list[Upstream], str | None, int]: ...
    def recheck(self, refs: list[str]) -> dict[str, Upstream | None]: ...


def window(event: Event) -> tuple[dt.datetime, dt.datetime]:
    return event.opens_at - WINDOW, event.closes_at + WINDOW


def context(source: Source) -> dict[str, str]:
    """The encryption context of a source's sealed app password: it opens for this source only."""
    return {"sourceId": source.id, "eventId": source.event_id}


# -- the API ---------------------------------------------------------------------------------------


def add_source(
    store: ConferenceRepo,
    sources: SourcesRepo,
    schedules: Schedules,
    caller: Caller,
    event_id: str,
    data: Input,
    *,
    check_instance: Callable[[str], Any],
    seal: Callable[[str, dict[str, str]], str],
    now: dt.datetime | None = None,
) -> Source:
    event = organised_event(store, event_id, caller)
    data = read_input(data)
    network = data["type"]
    instance = (data.get("instance") or "").rstrip("/")
    password = data.get("appPassword")
    errors: list[FieldError] = []
    if network == "mastodon" and not instance:
        errors.append(FieldError("instance", "is required for a mastodon source"))
    if network == "bluesky" and bool(data.get("identifier")) != bool(password):
        errors.append(FieldError("appPassword", "give both identifier and appPassword, or neither"))
    if network == "mastodon" and password:
        errors.append(FieldError("appPassword", "only a bluesky source signs in"))
    if instance and not errors:  # ours (the Bluesky default) needs no check; the worker's calls are checked
        try:
            check_instance(instance)
        except Exception as err:  # the outbound guard's UnsafeUrl: say why, for the organiser
            errors.append(FieldError("instance", f"cannot be collected from: {err}"))
    if errors:
        raise ValidationFailed(errors)
    if network == "bluesky" and not instance:
        instance = BLUESKY_SIGN_IN if password else BLUESKY_PUBLIC
    if len(sources.list(event.id)) >= MAX_SOURCES:
        raise Conflict(f"an event has at most {MAX_SOURCES} sources: delete one first")
    source = Source(
        id=new_ulid(),
        event_id=event.id,
        network=network,
        instance=instance,
        created_by=caller.member_id,
        created_at=iso(now or utcnow()),
        hashtags=list(dict.fromkeys(t.lower() for t in data.get("hashtags") or [])),
        identifier=data.get("identifier"),
    )
    if password:
        source.sealed = seal(password, context(source))
    sources.create(source)
    schedules.upsert(source, *window(event))
    return source


def list_sources(store: ConferenceRepo, sources: SourcesRepo, caller: Caller, event_id: str) -> list[Source]:
    organised_event(store, event_id, caller)
    return sources.list(event_id)


def _source(
    store: ConferenceRepo, sources: SourcesRepo, caller: Caller, event_id: str, source_id: str
) -> Source:
    organised_event(store, event_id, caller)
    source = sources.get(event_id, source_id)
    if source is None:
        raise NotFound(f"source {source_id} not found")
    return source


def stop_source(
    store: ConferenceRepo,
    sources: SourcesRepo,
    schedules: Schedules,
    caller: Caller,
    event_id: str,
    source_id: str,
) -> None:
    source = _source(store, sources, caller, event_id, source_id)
    schedules.cancel(source)
    sources.delete(source)


def request_sync(
    store: ConferenceRepo,
    sources: SourcesRepo,
    enqueue: Callable[[dict], Any],
    caller: Caller,
    event_id: str,
    source_id: str,
) -> Source:
    source = _source(store, sources, caller, event_id, source_id)
    enqueue(cycle_message(source))
    return source


def cycle_message(source: Source) -> dict:
    """What the schedule and the sync route put on the collect queue."""
    return {
        "source": "backchannel.collect",
        "detail-type": "CollectDue",
        "detail": {"eventId": source.event_id, "sourceId": source.id},
    }


# -- the cycle -------------------------------------------------------------------------------------


@dataclass
class Cycle:
    collected: int = 0
    duplicates: int = 0
    skipped: int = 0  # for consent
    error: str | None = None
    done: str = "collected"


def post_id(event_id: str, network: str, upstream_id: str, created_at: str) -> str:
    """A ULID from the upstream post's time and a hash of (event, network, upstream id): the same
    upstream post is the same post of an event, whichever source or cycle brings it."""
    digest = hashlib.sha256(f"{event_id}|{network}|{upstream_id}".encode()).digest()
    return encode_ulid(_ms(created_at), int.from_bytes(digest[:10], "big"))


def _parse(value: str | None) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _ms(created_at: str) -> int:
    parsed = _parse(created_at)
    return max(0, min(int(parsed.timestamp() * 1000), (1 << 48) - 1)) if parsed else 0


def event_hashtags(store: ConferenceRepo, event: Event) -> list[str]:
    """The event's hashtag and its sessions' (the default of a source without its own)."""
    tags = [event.hashtag.lower()]
    cursor = None
    while len(tags) < MAX_HASHTAGS:
        page = store.list_sessions(event.id, 100, cursor)
        tags.extend(s.hashtag.lower() for s in page.items if s.hashtag)
        cursor = page.next_cursor
        if not cursor:
            break
    return list(dict.fromkeys(tags))[:MAX_HASHTAGS]


def as_post(event: Event, capture: CaptureRepo, upstream: Upstream, now: dt.datetime) -> Post:
    hashtags = extract_hashtags(upstream.text)
    created = _parse(upstream.created_at) or now
    return Post(
        id=post_id(event.id, upstream.network, upstream.upstream_id, upstream.created_at),
        event_id=event.id,
        author_id=None,
        author_name=upstream.display_name,
        text=upstream.text,
        created_at=iso(created),
        seq=new_ulid(),
        session_id=capture.session_for_hashtags(event.id, hashtags) if hashtags else None,
        hashtags=hashtags,
        mentions=extract_mentions(upstream.text),
        links=extract_links(upstream.text),
        origin=upstream.origin(),
    )


def collect(
    store: ConferenceRepo,
    capture: CaptureRepo,
    sources: SourcesRepo,
    network_for: Callable[[Source], Network],
    event_id: str,
    source_id: str,
    *,
    now: dt.datetime | None = None,
) -> Cycle:
    """One collection cycle of one source."""
    now = now or utcnow()
    source = sources.get(event_id, source_id)
    event = store.get_event(event_id) if source else None
    if source is None or event is None:
        return Cycle(done="source gone")
    backoff = _parse(source.backoff_until)
    if backoff is not None and now < backoff:
        return Cycle(done="backing off")
    cycle = Cycle()
    client = network_for(source)
    source.backoff_until = None
    for tag in source.hashtags or event_hashtags(store, event):
        try:
            found, cursor, skipped = client.new_posts(tag, source.cursors.get(tag))
        except RateLimited as limited:
            source.backoff_until = iso(limited.until)
            cycle.error = f"{source.network} rate limit: next call after {source.backoff_until}"
            break
        except Unavailable as down:
            cycle.error = str(down)[:300]
            break
        cycle.skipped += skipped
        for upstream in found:
            stored = capture.put_post(as_post(event, capture, upstream, now), event.feed_shards) is None
            cycle.collected += stored
            cycle.duplicates += not stored
        if cursor:
            source.cursors[tag] = cursor  # only once its posts are stored
    source.last_polled_at, source.last_error = iso(now), cycle.error
    if not sources.record(source, cycle.collected):
        cycle.done = "source deleted during the cycle"
    return cycle


def refresh(
    capture: CaptureRepo, event: Event, posts: Iterable[Post], network_for: Callable[[str], Network | None]
) -> tuple[int, int]:
    """Re-check collected posts upstream: delete those deleted there (or whose authors opted out since),
    and replace those edited there (deleted and stored again with the new text: feeds, live followers
    and packs see the change as for any post). ``network_for(network)`` is None when none can be asked.
    Returns (deleted, edited)."""
    by_network: dict[str, dict[str, Post]] = {}
    for post in posts:
        if post.origin and post.origin.get("ref"):
            by_network.setdefault(str(post.origin.get("network")), {})[str(post.origin["ref"])] = post
    deleted = edited = 0
    for network, found in by_network.items():
        client = network_for(network)
        if client is None:
            continue
        try:
            now = client.recheck(list(found))
        except (RateLimited, Unavailable):
            continue  # not known to be gone: it stays until a re-check can tell
        for ref, upstream in now.items():
            post = found.get(ref)
            if post is None or (upstream is not None and upstream.text == post.text):
                continue
            capture.delete_post(post)
            if upstream is None:
                deleted += 1
                continue
            changed = as_post(event, capture, upstream, utcnow())
            capture.put_post(dataclasses.replace(changed, created_at=post.created_at), event.feed_shards)
            edited += 1
    return deleted, edited
