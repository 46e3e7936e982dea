"""Atom 1.0 (RFC 4287) documents, built with the standard library.

ElementTree escapes ``&``, ``<``, ``>`` and quotes; what it does not do is refuse characters XML 1.0
cannot carry (most C0 controls, lone surrogates, U+FFFE/U+FFFF), which would make the whole document
unreadable to a feed reader. :func:`xml_text` drops them, and every user-supplied string passes
through it. Output is deterministic (no clock), so equal content gives equal bytes and ETags.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from backchannel.capture.model import Note, Post, Summary
from backchannel.conference.model import Event, Session

NS = "http://www.w3.org/2005/Atom"
GENERATOR = "Backchannel"
TITLE_WORDS = 10
TITLE_CHARS = 80

# XML 1.0 Char production, minus C1 controls and U+007F (allowed there but "discouraged").
_NOT_XML = re.compile("[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str | None) -> str:
    """``value`` with every character XML 1.0 cannot carry removed (``\\r\\n`` becomes ``\\n``)."""
    if not value:
        return ""
    return _NOT_XML.sub("", value.replace("\r\n", "\n"))


def title_of(text: str, *, words: int = TITLE_WORDS, chars: int = TITLE_CHARS) -> str:
    """The first few words of ``text`` on one line, with an ellipsis when something was left out."""
    all_words = xml_text(text).split()
    head = " ".join(all_words[:words])
    cut = len(all_words) > words
    if len(head) > chars:
        head = head[: chars - 1].rstrip()
        cut = True
    return head + "\u2026" if cut else head or "(untitled)"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        node.text = xml_text(text)
    return node


def _author(parent: ET.Element, name: str) -> None:
    _sub(_sub(parent, "author"), "name", name or "anonymous")


def _feed(
    *, feed_id: str, title: str, subtitle: str | None, updated: str, self_href: str, alternate: str
) -> ET.Element:
    feed = ET.Element("feed", {"xmlns": NS})
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title, type="text")
    if subtitle:
        _sub(feed, "subtitle", subtitle, type="text")
    _sub(feed, "updated", updated)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_href)
    _sub(feed, "link", rel="alternate", type="application/json", href=alternate)
    _sub(feed, "generator", GENERATOR)
    return feed


def _entry(
    feed: ET.Element,
    *,
    entry_id: str,
    title: str,
    author: str,
    published: str | None,
    updated: str,
    href: str,
    content: str,
    categories: Iterable[str] = (),
    link_type: str = "application/json",
) -> None:
    entry = _sub(feed, "entry")
    _sub(entry, "id", entry_id)
    _sub(entry, "title", title, type="text")
    _author(entry, author)
    if published:
        _sub(entry, "published", published)
    _sub(entry, "updated", updated)
    _sub(entry, "link", rel="alternate", type=link_type, href=href)
    for term in categories:
        _sub(entry, "category", term=term)
    _sub(entry, "content", content, type="text")


def _bytes(feed: ET.Element) -> bytes:
    ET.indent(feed, space="  ")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def event_feed(event: Event, posts: list[Post], *, base: str = "") -> bytes:
    """An event's posts, newest first, as an Atom feed. ``base`` is the API's absolute address
    (empty: relative links)."""
    posts = sorted(posts, key=lambda p: (p.created_at, p.seq), reverse=True)
    updated = max([event.updated_at, *(p.created_at for p in posts)])
    feed = _feed(
        feed_id=f"urn:backchannel:event:{event.id}:posts",
        title=f"{event.name} (#{event.hashtag})",
        subtitle=event.description,
        updated=updated,
        self_href=f"{base}/events/{event.id}/feed.atom",
        alternate=f"{base}/events/{event.id}/posts",
    )
    for post in posts:
        _entry(
            feed,
            entry_id=f"urn:backchannel:post:{post.id}",
            title=title_of(post.text),
            author=post.author_name,
            published=post.created_at,
            updated=post.created_at,
            href=f"{base}/posts/{post.id}",
            content=post.text,
            categories=post.hashtags,
        )
    return _bytes(feed)


def session_feed(
    session: Session, event: Event, summary: Summary | None, notes: list[Note], *, base: str = ""
) -> bytes:
    """A session's published summary (its latest version, the Markdown as text) and its public notes,
    newest first, as an Atom feed."""
    notes = sorted(notes, key=lambda n: (n.updated_at, n.id), reverse=True)
    stamps = [session.updated_at, *(n.updated_at for n in notes)]
    if summary is not None:
        stamps.append(summary.published_at or summary.updated_at)
    feed = _feed(
        feed_id=f"urn:backchannel:session:{session.id}",
        title=f"{session.title} \u2014 {event.name}",
        subtitle=session.abstract,
        updated=max(stamps),
        self_href=f"{base}/sessions/{session.id}/feed.atom",
        alternate=f"{base}/sessions/{session.id}",
    )
    if summary is not None:
        published = summary.published_at or summary.updated_at
        _entry(
            feed,
            entry_id=f"urn:backchannel:summary:{session.id}",
            title=f"Summary: {session.title}",
            author=f"Organisers of {event.name}",
            published=published,
            updated=published,
            href=f"{base}/sessions/{session.id}/summary",
            content=summary.body,
        )
    for note in notes:
        _entry(
            feed,
            entry_id=f"urn:backchannel:note:{note.id}",
            title=note.title or title_of(note.body),
            author=note.author_name,
            published=note.created_at,
            updated=note.updated_at,
            href=f"{base}/notes/{note.id}",
            content=note.body,
        )
    return _bytes(feed)


def inbox_feed(entries: list, *, feed_href: str, title: str = "Packs circulated to you") -> bytes:
    """A member's inbox (circulated packs, newest first) as a private Atom feed. ``feed_href`` is the
    feed's own secret URL: entries link below it, so a feed reader needs no sign-in."""
    updated = max([e.received_at for e in entries], default="1970-01-01T00:00:00.000Z")
    feed = _feed(
        # The feed's URL is its secret: its id names a hash of it, never a part of it.
        feed_id=f"urn:backchannel:inbox:{hashlib.sha256(feed_href.encode()).hexdigest()[:16]}",
        title=title,
        subtitle="Conference packs the people and events you follow circulated",
        updated=updated,
        self_href=feed_href,
        alternate=feed_href,
    )
    for e in entries:
        _entry(
            feed,
            entry_id=f"urn:backchannel:inbox-entry:{e.id}",
            title=e.title,
            author=e.from_member or "Backchannel",
            published=e.received_at,
            updated=e.received_at,
            href=f"{feed_href}/{e.id}",
            content=f"{e.title}: {feed_href}/{e.id}",
            link_type="text/html",
        )
    return _bytes(feed)
