"""Circulation's records and their public JSON: follows, blocks, channels, inbox entries, publications
and deliveries. Pure: no boto3, no event shapes."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from typing import Any

from backchannel.core.errors import DomainError
from backchannel.core.model import camel_json

FOLLOW_TYPES = ("member", "event", "session")
CHANNEL_TYPES = ("email", "webhook", "feed", "mastodon")
MODES = ("immediate", "digest")
# Channels a delivery is sent on; the feed is a view of the inbox and needs no delivery of its own.
SENDING_TYPES = ("email", "webhook", "mastodon")
INBOX = "inbox"  # the channel every member has: its id and its type
DELIVERY_STATUSES = ("queued", "sending", "retrying", "held", "sent", "failed", "skipped")
# Done as far as the queue is concerned; ``held`` waits for its channel's daily digest.
FINAL = frozenset({"held", "sent", "failed", "skipped"})
# What an inbox entry says of the edition published to its member: fetchable, being updated after a
# withdrawal, or why it is gone for good (each fetch checks the recipient again).
AVAILABILITY = ("yes", "updating", "preparing", "revoked", "blocked", "not-a-member", "gone")
STATS_SHARDS = 10  # a publication's counters are spread over this many items (no hot item)


def follow_id(target_type: str, target_id: str) -> str:
    """A follow's id names what is followed, so following twice is the same follow."""
    return f"{target_type}-{target_id}"


def parse_follow_id(value: str) -> tuple[str, str] | None:
    kind, _, target = value.partition("-")
    return (kind, target) if kind in FOLLOW_TYPES and target else None


def stats_shard(recipient_id: str) -> int:
    """The counter shard of a recipient (a publication's delivery counts are spread over STATS_SHARDS)."""
    return zlib.crc32(recipient_id.encode()) % STATS_SHARDS


def delivery_id(pack_id: str, version: int, recipient_id: str, channel_id: str, kind: str = "publish") -> str:
    """One id per (pack version, recipient, channel[, retraction]): the webhook-id and the Mastodon
    Idempotency-Key, so receivers that deduplicate see one effect however often it is sent."""
    raw = f"{kind}/{pack_id}/{version}/{recipient_id}/{channel_id}"
    return "dlv_" + hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Follow:
    follower_id: str
    target_type: str
    target_id: str
    created_at: str

    @property
    def id(self) -> str:
        return follow_id(self.target_type, self.target_id)

    def to_json(self) -> dict:
        return {"id": self.id, "type": self.target_type, "targetId": self.target_id, "since": self.created_at}


@dataclass(frozen=True)
class Block:
    blocker_id: str
    blocked_id: str
    created_at: str

    def to_json(self) -> dict:
        return {"memberId": self.blocked_id, "since": self.created_at}


class CodeMailCap(DomainError, status=429, title="Too many requests"):
    """Too many verification mails today: to one address (whoever asks) or caused by one member."""


@dataclass(frozen=True)
class CodeMail:
    """One verification mail to count before a new email channel is added: against its address
    (a keyed hash of it, never the address) and against its member, per UTC day."""

    address_key: str
    day: str  # YYYY-MM-DD (UTC)
    per_address: int
    per_member: int


@dataclass
class Channel:
    """One way packs reach a member. ``settings`` are public (address, URL, instance); ``sealed`` holds
    the secrets (webhook secret, Mastodon token, email verification code), encrypted, never shown."""

    id: str
    member_id: str
    type: str
    mode: str
    status: str  # pending (email not verified yet) | active | unsubscribed | disabled (webhook: 410)
    settings: dict[str, Any]
    created_at: str
    updated_at: str
    sealed: str | None = None
    code_hash: str | None = None
    code_attempts: int = 0

    @property
    def active(self) -> bool:
        return self.status == "active"

    def to_json(self) -> dict:
        return {
            **camel_json(self, "id", "type", "mode", "status"),
            **{k: v for k, v in self.settings.items() if not k.startswith("_")},
            **camel_json(self, "created_at", "updated_at"),
        }


@dataclass(frozen=True)
class Route:
    """What the fan-out needs of a channel (no secrets): kept beside the member's channels."""

    channel_id: str
    type: str
    mode: str


@dataclass(frozen=True)
class PackRef:
    """A pack as circulation sees it: what it is of, who owns or publishes it, and its title."""

    id: str
    kind: str
    target_id: str
    event_id: str
    member_id: str | None
    ready_version: int | None
    title: str


@dataclass
class Publication:
    """One circulated version of a pack (``POST /packs/{packId}/publish``) and its *edition*: the files
    built for its audience (``packs.content``), which is all its recipients can ever fetch. ``revision``
    0: the edition is not built yet; each retraction rebuild is the next revision. ``retractions``
    counts the withdrawals that may touch it, ``retracted`` those its edition was built after: while
    ``retractions > retracted`` the edition is not served (its rebuild is under way)."""

    pack_id: str
    version: int
    kind: str
    target_id: str
    event_id: str
    owner_id: str | None  # a personal pack's member
    published_by: str
    published_at: str
    status: str = "fanning-out"  # fanning-out | enqueued
    recipients: int = 0
    deliveries: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    updated_at: str | None = None
    revision: int = 0
    bucket: str | None = None
    edition: dict[str, Any] = field(default_factory=dict)  # format -> packs.model.Artifact
    left_out: dict[str, int] = field(default_factory=dict)
    retractions: int = 0
    retracted: int = 0
    revoked_at: str | None = None

    @property
    def retracting(self) -> bool:
        return self.retractions > self.retracted

    @property
    def actor_id(self) -> str:
        """Whose pack this is to its recipients: a personal pack's member, else its publisher."""
        return self.owner_id or self.published_by

    @property
    def edition_ready(self) -> bool:
        return self.revision > 0 and bool(self.edition) and not self.retracting

    def to_json(self) -> dict:
        return {
            **camel_json(self, "pack_id", "version", "status", "published_by", "published_at"),
            **camel_json(self, "recipients", "deliveries", "revision"),
            "leftOut": [{"reason": k, "count": v} for k, v in sorted(self.left_out.items())],
            "revokedAt": self.revoked_at,
        }


@dataclass(frozen=True)
class Job:
    """One delivery to make: a (pack version, recipient, channel), or its retraction."""

    pack_id: str
    version: int
    recipient_id: str
    channel_id: str
    channel_type: str
    kind: str = "publish"  # publish | retract | digest (pack_id is then "digest-<day>", version 0)

    @property
    def id(self) -> str:
        return delivery_id(self.pack_id, self.version, self.recipient_id, self.channel_id, self.kind)

    def to_message(self) -> dict:
        return camel_json(self, "kind", "pack_id", "version", "recipient_id", "channel_id", "channel_type")

    @classmethod
    def from_message(cls, body: dict) -> Job:
        try:
            job = cls(
                pack_id=str(body["packId"]),
                version=int(body["version"]),
                recipient_id=str(body["recipientId"]),
                channel_id=str(body["channelId"]),
                channel_type=str(body["channelType"]),
                kind=str(body.get("kind") or "publish"),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"not a delivery message: {err}") from None
        if job.kind not in ("publish", "retract", "digest"):
            raise ValueError(f"unknown delivery kind {job.kind!r}")
        return job


@dataclass
class Delivery:
    """The record of one job: claimed before the effect, completed after it (conditional writes)."""

    job: Job
    status: str
    attempts: int
    updated_at: str
    claim: str | None = None
    lease_until: str | None = None
    last_error: str | None = None
    remote_id: str | None = None  # a Mastodon status id, for retraction


@dataclass(frozen=True)
class InboxEntry:
    id: str
    member_id: str
    pack_id: str
    version: int
    title: str
    from_member: str | None
    received_at: str
    # "pack": a pack circulated to you; "channel-disabled": a notice that one of your channels was
    # disabled while delivering this pack (a webhook answered 410 Gone); ``channel_id`` names it.
    kind: str = "pack"
    channel_id: str | None = None

    def to_json(self, available: str) -> dict:
        """``version`` is the version published to this member, the only one they can fetch (a
        retraction rebuild of it only removes content). ``available``: ``yes``, ``updating`` (a
        retraction rebuild is under way) or why it is gone (``revoked``, ``blocked``, ...)."""
        return {
            **camel_json(self, "id", "pack_id", "version", "title"),
            "from": self.from_member,
            "receivedAt": self.received_at,
            "available": available,
            "downloadUrl": f"/me/inbox/{self.id}/download",
            "kind": self.kind,
            "channelId": self.channel_id,
        }
