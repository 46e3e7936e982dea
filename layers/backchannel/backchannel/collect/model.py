"""Hashtag sources and what a network gives us of one post, and their public JSON shape."""

from __future__ import annotations

from dataclasses import dataclass, field

from backchannel.core.model import camel_json

NETWORKS = ("mastodon", "bluesky")


@dataclass
class Source:
    """An event's hashtag source on one network. ``hashtags`` empty: the event's and its sessions'
    hashtags, read at every cycle. ``cursors``: the newest upstream position seen per hashtag."""

    id: str
    event_id: str
    network: str  # "type" in the API: mastodon or bluesky
    instance: str
    created_by: str
    created_at: str
    hashtags: list[str] = field(default_factory=list)
    identifier: str | None = None  # a Bluesky account (its app password is sealed in ``sealed``)
    sealed: str | None = None
    cursors: dict = field(default_factory=dict)
    last_polled_at: str | None = None
    last_error: str | None = None
    posts_collected: int = 0
    backoff_until: str | None = None  # a network's rate limit: no call before then

    def to_json(self) -> dict:
        return {
            **camel_json(self, "id", "event_id"),
            "type": self.network,
            **camel_json(self, "instance", "hashtags", "identifier"),
            **camel_json(self, "last_polled_at", "last_error", "posts_collected", "backoff_until"),
            **camel_json(self, "created_by", "created_at"),
        }


@dataclass(frozen=True)
class Upstream:
    """One public post as its network shows it, already in our terms."""

    network: str
    upstream_id: str  # globally unique: a Mastodon status's URI, a Bluesky post's at:// URI
    ref: str  # how to ask for it again: "<instance>|<status id>" (Mastodon), the at:// URI (Bluesky)
    url: str
    text: str
    created_at: str
    handle: str
    display_name: str
    profile_url: str

    def origin(self) -> dict:
        return {
            "network": self.network,
            "url": self.url,
            "handle": self.handle,
            "displayName": self.display_name,
            "profileUrl": self.profile_url,
            "ref": self.ref,
        }
