"""Feeds for readers who follow along without signing in: Atom for an event's posts and for a session's
summary and public notes, iCalendar for an event's schedule.

Only what an anonymous reader may see goes in: private events are not found, unlisted ones are served
to whoever has the link, and attendees-only and private notes never appear. The renderers in
:mod:`backchannel.feeds.atom` and :mod:`backchannel.feeds.ical` are pure; the functions here read
what they need through the store interfaces and hand it over. The iCalendar renderer needs the
``icalendar`` package, so it is imported only when a schedule is asked for.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from backchannel.capture.store import CaptureRepo
from backchannel.conference.rules import all_sessions, visible_event, visible_session
from backchannel.conference.store import ConferenceRepo

ATOM = "application/atom+xml; charset=utf-8"
CALENDAR = "text/calendar; charset=utf-8"
POSTS_IN_FEED = 50
NOTES_IN_FEED = 50


@dataclass(frozen=True)
class Feed:
    body: bytes
    content_type: str

    @property
    def etag(self) -> str:
        return etag(self.body)


def etag(body: bytes) -> str:
    """A strong validator: the same bytes, the same tag."""
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def not_modified(if_none_match: str | None, current: str) -> bool:
    """Whether ``If-None-Match`` names the current representation (``*``, one tag, or a list).
    RFC 9110 compares weakly here, so ``W/"x"`` matches ``"x"``."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    if "*" in tags:
        return True
    bare = current.removeprefix("W/")
    return any(t.removeprefix("W/") == bare for t in tags if t)


_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})(?::[0-9]{1,5})?$")
_LOCAL = re.compile(r"^(?:localhost|127\.[0-9.]+|0\.0\.0\.0)(?::[0-9]+)?$")


def base_url(domain_name: str | None, stage: str | None = None) -> str:
    """The API's absolute address as API Gateway reports it (``requestContext.domainName``), or ``""``
    (relative links) when it is unknown or not a plain host name."""
    if not domain_name or not _HOST.match(domain_name):
        return ""
    scheme = "http" if _LOCAL.match(domain_name) else "https"
    prefix = f"/{stage}" if stage and stage != "$default" and re.fullmatch(r"[A-Za-z0-9_-]+", stage) else ""
    return f"{scheme}://{domain_name.lower()}{prefix}"


def event_feed(store: ConferenceRepo, capture: CaptureRepo, event_id: str, *, base: str = "") -> Feed:
    """The latest posts of an event an anonymous reader may see (404 otherwise), as Atom."""
    from backchannel.feeds import atom

    event, _ = visible_event(store, event_id, None)
    posts, _ = capture.event_posts(event.id, event.feed_shards, POSTS_IN_FEED, None)
    return Feed(atom.event_feed(event, posts, base=base), ATOM)


def session_feed(store: ConferenceRepo, capture: CaptureRepo, session_id: str, *, base: str = "") -> Feed:
    """A session's published summary and its public notes, as Atom (404 when not visible)."""
    from backchannel.feeds import atom

    session, event = visible_session(store, session_id, None)
    summary = capture.latest_summary(session.id)
    notes = capture.session_notes(session.id, ["public"], NOTES_IN_FEED, None).items
    notes = [n for n in notes if n.visibility == "public"]  # the partition says so; be sure
    return Feed(atom.session_feed(session, event, summary, notes, base=base), ATOM)


def schedule(store: ConferenceRepo, event_id: str, *, base: str = "") -> Feed:
    """An event's sessions as an iCalendar with the event's time zone (404 when not visible)."""
    from backchannel.feeds import ical

    event, _ = visible_event(store, event_id, None)
    return Feed(ical.schedule(event, all_sessions(store, event.id), base=base), CALENDAR)
