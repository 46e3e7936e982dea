"""Request and response schemas of hashtag sources."""

from __future__ import annotations

from backchannel.core.schemas import HASHTAG
from backchannel.core.validation import Arr, DateTime, Enum, F, Int, Obj, Str, Url, returned

_networks = Enum(("mastodon", "bluesky"))

_hashtags = Arr(Str(pattern=HASHTAG, pattern_hint="letters, digits and _ (no #), at most 50"), max_items=50)


SOURCE_CREATE = Obj(
    "SourceCreate",
    {
        "type": F(_networks, required=True),
        "instance": F(
            Url(max_len=300),
            description="mastodon: the instance (https://…); bluesky: the service (default: the public "
            "AppView, or bsky.social with an app password)",
        ),
        "hashtags": F(_hashtags, description="without #; default: the event's and its sessions' hashtags"),
        "identifier": F(Str(min_len=3, max_len=253), description="bluesky: the account that signs in"),
        "appPassword": F(
            Str(min_len=8, max_len=64), description="bluesky: its app password (sealed; never returned)"
        ),
    },
)


SOURCE = Obj(
    "Source",
    {
        **returned(Str(), "id", "eventId"),
        "type": F(_networks, required=True),
        **returned(Str(), "instance"),
        "hashtags": F(_hashtags, required=True, description="empty: the event's and its sessions' hashtags"),
        **returned(Str(), "identifier", nullable=True),
        **returned(DateTime(), "lastPolledAt", nullable=True),
        **returned(Str(), "lastError", nullable=True),
        "postsCollected": F(Int(minimum=0), required=True),
        **returned(DateTime(), "backoffUntil", nullable=True),
        **returned(Str(), "createdBy"),
        **returned(DateTime(), "createdAt"),
    },
)
