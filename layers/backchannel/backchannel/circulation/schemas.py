"""Request and response schemas of the network and circulation APIs."""

from __future__ import annotations

from backchannel.circulation.model import AVAILABILITY, CHANNEL_TYPES, FOLLOW_TYPES, MODES
from backchannel.core.validation import Arr, Bool, Enum, F, Int, Obj, Str, Url, returned
from backchannel.packs.model import GROUPS

_ID = Str(min_len=1, max_len=40, pattern=r"[0-9A-Za-z_-]+", pattern_hint="must be an id")
EMAIL = Str(
    min_len=3,
    max_len=254,
    pattern=r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+",
    pattern_hint="must be an email address",
)
MASTODON_VISIBILITIES = ("direct", "private", "unlisted", "public")

FOLLOW_REQUEST = Obj(
    "FollowRequest",
    {
        "type": F(Enum(FOLLOW_TYPES), required=True, description="what to follow"),
        "id": F(_ID, required=True, description="the member's, event's or session's id"),
    },
)
FOLLOW = Obj(
    "Follow",
    {
        "id": F(Str(), required=True, description="<type>-<targetId>: the same follow however often made"),
        "type": F(Enum(FOLLOW_TYPES), required=True),
        "targetId": F(Str(), required=True),
        "since": F(Str(), required=True),
    },
)
BLOCK_REQUEST = Obj("BlockRequest", {"memberId": F(_ID, required=True)})
BLOCK = Obj("Block", returned(Str(), "memberId", "since"))
PROFILE = Obj(
    "PublicProfile",
    {
        **returned(Str(), "id", "handle", "displayName"),
        "bio": F(Str(), nullable=True),
        "links": F(Arr(Obj("ProfileLink", {"title": F(Str()), "url": F(Str())}))),
        **returned(Int(minimum=0), "followers", "following"),
        "followedByYou": F(Bool(), description="signed-in callers only"),
        "blockedByYou": F(Bool(), description="signed-in callers only"),
    },
)

CHANNEL_REQUEST = Obj(
    "ChannelRequest",
    {
        "type": F(Enum(CHANNEL_TYPES), required=True),
        "mode": F(Enum(MODES), default="immediate", description="each pack at once, or a daily digest"),
        "address": F(EMAIL, description="email: where to send (verified with a code first)"),
        "url": F(Url(), description="webhook: an https URL on a public address"),
        "instanceUrl": F(Url(), description="mastodon: https://your.instance"),
        "accessToken": F(Str(min_len=8, max_len=512), description="mastodon: a token with write:statuses"),
        "visibility": F(
            Enum(MASTODON_VISIBILITIES), description="mastodon: the status's visibility (default direct)"
        ),
    },
)
CHANNEL = Obj(
    "Channel",
    {
        "id": F(Str(), required=True),
        "type": F(Enum(CHANNEL_TYPES), required=True),
        "mode": F(Enum(MODES), required=True),
        "status": F(
            Enum(("pending", "active", "unsubscribed", "disabled")),
            required=True,
            description="disabled: the webhook answered 410 Gone (your inbox says so); add it again to resume",
        ),
        "address": F(Str(), description="email"),
        "url": F(Str(), description="webhook"),
        "instanceUrl": F(Str(), description="mastodon"),
        "visibility": F(Str(), description="mastodon"),
        "secret": F(Str(), description="webhook: the signing secret, in the creation response only"),
        "feedUrl": F(Str(), description="feed: the private Atom URL, in the creation response only"),
        **returned(Str(), "createdAt", "updatedAt"),
    },
)
CHANNEL_LIST = Obj("ChannelList", {"items": F(Arr(CHANNEL), required=True, description="every channel")})
VERIFY_REQUEST = Obj(
    "ChannelVerification", {"code": F(Str(min_len=6, max_len=6, pattern=r"[0-9]{6}"), required=True)}
)

INBOX_ENTRY = Obj(
    "InboxEntry",
    {
        "id": F(Str(), required=True),
        "packId": F(Str(), required=True),
        "version": F(Int(minimum=1), required=True, description="the version published to you"),
        "title": F(Str(), required=True),
        "from": F(Str(), nullable=True, description="the member who circulated it"),
        "receivedAt": F(Str(), required=True),
        "available": F(
            Enum(AVAILABILITY),
            required=True,
            description="yes; updating (a withdrawal is being taken out); or why it is gone",
        ),
        "downloadUrl": F(
            Str(), required=True, description="the edition published to you (?format=html|md|json|epub)"
        ),
        "kind": F(
            Enum(("pack", "channel-disabled")),
            required=True,
            description="pack; or channel-disabled: a notice that the channel channelId was disabled "
            "while this pack was being delivered to it",
        ),
        "channelId": F(Str(), nullable=True, description="channel-disabled: the channel"),
    },
)

_left_out = {**returned(Str(), "reason"), **returned(Int(minimum=0), "count")}
PUBLICATION = Obj(
    "Publication",
    {
        "packId": F(Str(), required=True),
        "version": F(Int(minimum=1), required=True),
        "status": F(Enum(("fanning-out", "enqueued")), required=True),
        **returned(Str(), "publishedBy", "publishedAt"),
        "recipients": F(Int(minimum=0), required=True, description="counted once the fan-out is done"),
        "deliveries": F(Int(minimum=0), required=True, description="enqueued: one per recipient and channel"),
        "revision": F(
            Int(minimum=0),
            required=True,
            description="of the edition recipients fetch: 0 until built, +1 per retraction rebuild",
        ),
        "leftOut": F(
            Arr(Obj("LeftOut", _left_out)),
            required=True,
            description="notes the circulated edition did not take, by reason",
        ),
        "revokedAt": F(Str(), nullable=True, description="when its publisher revoked it"),
    },
)
PREVIEW = Obj(
    "PublicationPreview",
    {
        "packId": F(Str(), required=True),
        "version": F(Int(minimum=1), nullable=True, description="the version publishing would send"),
        "audience": F(Str(), required=True, description="who would receive it"),
        "membersOnly": F(Bool(), required=True, description="only members of the event receive it"),
        "includes": F(
            Obj("PreviewCounts", returned(Int(minimum=0), *GROUPS)),
            required=True,
            description="what the circulated edition would hold, by group",
        ),
        "leftOut": F(
            Arr(Obj("PreviewLeftOut", {**_left_out, **returned(Str(), "why")})),
            required=True,
        ),
    },
)
_counts = Obj(
    "DeliveryCounts",
    {
        "queued": F(Int(minimum=0), required=True, description="enqueued, not done yet (incl. retrying)"),
        "held": F(Int(minimum=0), required=True, description="waiting for the channel's daily digest"),
        "sent": F(Int(minimum=0), required=True),
        "failed": F(Int(minimum=0), required=True, description="after the last attempt (or refused)"),
        "skipped": F(Int(minimum=0), required=True, description="channel gone, unsubscribed or blocked"),
        "retract-sent": F(Int(minimum=0), description="pack.retracted webhooks, deleted statuses"),
        "retract-failed": F(Int(minimum=0)),
        "retract-skipped": F(Int(minimum=0)),
    },
)
DELIVERIES = Obj(
    "DeliverySummary",
    {
        "packId": F(Str(), required=True),
        "publications": F(
            Arr(
                Obj(
                    "PublicationDeliveries",
                    {
                        **PUBLICATION.fields,
                        "byChannel": F(
                            Obj(
                                "DeliveriesByChannel",
                                {t: F(_counts) for t in ("inbox", "email", "webhook", "mastodon")},
                            ),
                            required=True,
                            description="per channel: queued, sent, failed, skipped (and retractions)",
                        ),
                    },
                )
            ),
            required=True,
        ),
    },
)
