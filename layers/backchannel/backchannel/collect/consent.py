"""Consent on the open networks (pure): which upstream posts we may collect, and their text.

An aggregator must not sweep up people who said no. We collect only public posts, and skip:

* Mastodon: a status that is not ``public``; an account with ``noindex: true`` (it asked search
  engines and aggregators to stay away), ``indexable: false`` (it opted out of search),
  ``discoverable: false`` (it opted out of discovery features), or ``#nobot`` / ``#noarchive`` in its
  bio (the fediverse's convention for "no bots" and "do not archive me");
* Bluesky: an author or a post carrying the ``!no-unauthenticated`` label (the account asked that
  its content not be shown to logged-out viewers; a pack or an open web page is exactly that).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

OPT_OUT_TAGS = re.compile(r"(?<![\w#])#(nobot|noarchive)\b", re.IGNORECASE)
NO_UNAUTHENTICATED = "!no-unauthenticated"


def mastodon_allows(status: dict[str, Any]) -> bool:
    if status.get("visibility") != "public" or status.get("reblog"):
        return False
    account = status.get("account") or {}
    if account.get("noindex") is True:
        return False
    if account.get("indexable") is False or account.get("discoverable") is False:
        return False
    bio = html_text(str(account.get("note") or ""))
    return not OPT_OUT_TAGS.search(bio)


def _labels(thing: dict[str, Any]) -> set[str]:
    return {str(label.get("val")) for label in thing.get("labels") or [] if isinstance(label, dict)}


def bluesky_allows(post: dict[str, Any]) -> bool:
    author = post.get("author") or {}
    return NO_UNAUTHENTICATED not in _labels(author) | _labels(post)


class _Text(HTMLParser):
    """Mastodon's status HTML as plain text: paragraphs and breaks as new lines, a link as its
    address (Mastodon shortens what it shows), mentions and hashtags as written."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: str | None = None
        self._shown: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")
        elif tag == "a":
            found = dict(attrs)
            classes = str(found.get("class") or "").split()
            plain = "mention" in classes or "hashtag" in classes
            self._href = None if plain else found.get("href")
            self._shown = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.parts.append(self._href if self._href.startswith(("http://", "https://")) else "")
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._shown.append(data)
        else:
            self.parts.append(data)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def html_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts).strip()


def clean(text: str, max_chars: int) -> str:
    """Plain text without control characters (new lines kept), cut to ``max_chars``."""
    text = _CONTROL.sub("", text).strip()
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"
