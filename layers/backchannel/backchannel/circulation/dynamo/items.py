"""DynamoDB access for circulation: the items and their converters (the main table). The only code here that touches DynamoDB.

| item | pk | sk | gsi1pk | gsi1sk |
|---|---|---|---|---|
| follow | MEMBER#<followerId> | FOLLOW#<type>#<targetId> | FOLLOWERS#<type>#<targetId> | <followerId> |
| follow counts | FOLLOWSTATS#<type>#<id> | STATS | | |
| block | MEMBER#<blockerId> | BLOCK#<blockedId> | BLOCKERS#<blockedId> | <blockerId> |
| channel | MEMBER#<memberId> | CHANNEL#<channelId> | | |
| routes (active channels, no secrets) | MEMBER#<memberId> | ROUTES | | |
| token (feed URL, unsubscribe link, pack link) | TOKEN#<sha256 of token> | TOKEN | | |
| inbox entry | MEMBER#<memberId> | INBOX#<ulid> | | |
| publication | PACK#<packId> | CIRC#<version:06> | | |
| delivery counters (10 shards) | PACK#<packId> | CIRC#<version:06>#STATS#<shard> | | |
| digest entry (held for a daily digest) | DIGEST#<channelId> | <packId>#<version:06> | DIGESTS#DUE | <memberId>#<channelId>#<packId>#<version> |
| delivery | DELIVERY#<packId>#<version>#<recipientId> | <kind>#<channelId> | RETRACTABLE#<packId>#<shard> (sent webhooks and statuses) | <version:06>#<recipientId>#<channelId> |

Access patterns: my follows, blocks, channels, inbox (Query on my partition, ``begins_with``); the
followers of a member, event or session (Query gsi1, paged: the fan-out); who blocked a member (Query
gsi1); the routes of 100 recipients (BatchGetItem); a delivery (GetItem; claimed and completed by
conditional writes); a publication and its counters (one Query); the channels with a digest due
(Query gsi1, a sparse index of held entries) and a channel's held entries (Query); what a retraction must reach (Query
gsi1 per shard). Counters are kept in the same transactions as the changes they count.
"""

from __future__ import annotations

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from backchannel.circulation.model import (
    Channel,
    Delivery,
    Follow,
    InboxEntry,
    Job,
    Publication,
)
from backchannel.core.dynamo import cursor as cursors
from backchannel.core.dynamo.convert import to_item, to_model
from backchannel.core.dynamo.paging import page
from backchannel.core.dynamo.table import Item, bind, plain
from backchannel.packs.model import Artifact

KEYS = ("pk", "sk")


class FollowItem(Item, discriminator="Follow"):
    follower_id = UnicodeAttribute(attr_name="followerId")
    target_type = UnicodeAttribute(attr_name="targetType")
    target_id = UnicodeAttribute(attr_name="targetId")
    created_at = UnicodeAttribute(attr_name="createdAt")


class FollowStatsItem(Item, discriminator="FollowStats"):
    followers = NumberAttribute(default=0)
    following = NumberAttribute(default=0)


class BlockItem(Item, discriminator="Block"):
    blocker_id = UnicodeAttribute(attr_name="blockerId")
    blocked_id = UnicodeAttribute(attr_name="blockedId")
    created_at = UnicodeAttribute(attr_name="createdAt")


class ChannelItem(Item, discriminator="Channel"):
    id = UnicodeAttribute()
    member_id = UnicodeAttribute(attr_name="memberId")
    channel_type = UnicodeAttribute(attr_name="channelType")
    mode = UnicodeAttribute()
    status = UnicodeAttribute()
    settings = MapAttribute(default=dict)
    sealed = UnicodeAttribute(null=True)
    code_hash = UnicodeAttribute(null=True, attr_name="codeHash")
    code_attempts = NumberAttribute(default=0, attr_name="codeAttempts")
    token_hashes = MapAttribute(default=dict, attr_name="tokenHashes")  # purpose -> sha256
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")


class CodeMailCountItem(Item, discriminator="CodeMailCount"):
    # verification mails of one UTC day: pk CODEMAIL#ADDRESS#<keyed hash> or CODEMAIL#MEMBER#<id>, sk DAY#<day>
    count = NumberAttribute(null=True)


class RoutesItem(Item, discriminator="ChannelRoutes"):
    # "<channelId>#<type>#<mode>" per active channel: a set, so ADD and DELETE need no item to exist.
    routes = UnicodeSetAttribute(null=True)


class TokenItem(Item, discriminator="Token"):
    purpose = UnicodeAttribute()  # feed | unsubscribe | pack
    member_id = UnicodeAttribute(attr_name="memberId")
    channel_id = UnicodeAttribute(null=True, attr_name="channelId")
    pack_id = UnicodeAttribute(null=True, attr_name="packId")
    # A pack link: the one delivery it was sent with (the version published), until when it works.
    version = NumberAttribute(null=True)
    delivery_id = UnicodeAttribute(null=True, attr_name="deliveryId")
    expires_at = UnicodeAttribute(null=True, attr_name="expiresAt")


class InboxItem(Item, discriminator="InboxEntry"):
    id = UnicodeAttribute()
    member_id = UnicodeAttribute(attr_name="memberId")
    pack_id = UnicodeAttribute(attr_name="packId")
    version = NumberAttribute()
    title = UnicodeAttribute()
    from_member = UnicodeAttribute(null=True, attr_name="fromMember")
    received_at = UnicodeAttribute(attr_name="receivedAt")
    kind = UnicodeAttribute(null=True)  # absent: "pack"
    channel_id = UnicodeAttribute(null=True, attr_name="channelId")


class PublicationItem(Item, discriminator="Publication"):
    pack_id = UnicodeAttribute(attr_name="packId")
    version = NumberAttribute()
    kind = UnicodeAttribute()
    target_id = UnicodeAttribute(attr_name="targetId")
    event_id = UnicodeAttribute(attr_name="eventId")
    owner_id = UnicodeAttribute(null=True, attr_name="ownerId")
    published_by = UnicodeAttribute(attr_name="publishedBy")
    published_at = UnicodeAttribute(attr_name="publishedAt")
    status = UnicodeAttribute()
    recipients = NumberAttribute(default=0)
    deliveries = NumberAttribute(default=0)
    by_channel = MapAttribute(default=dict, attr_name="byChannel")
    updated_at = UnicodeAttribute(null=True, attr_name="updatedAt")
    # The circulated edition: its revision (0: not built yet), where its files are, what it left out.
    revision = NumberAttribute(default=0)
    bucket = UnicodeAttribute(null=True)
    edition = MapAttribute(null=True)  # format -> {contentType, key, size, sha256}
    left_out = MapAttribute(null=True, attr_name="leftOut")
    retractions = NumberAttribute(default=0)  # withdrawals that may touch the edition (ADD 1 each)
    retracted = NumberAttribute(default=0)  # of those, the ones the served revision was built after
    revoked_at = UnicodeAttribute(null=True, attr_name="revokedAt")


class DeliveryStatsItem(Item, discriminator="DeliveryStats"):
    counts = MapAttribute(default=dict)  # "<channelType>#<status>" -> n


class DeliveryItem(Item, discriminator="Delivery"):
    kind = UnicodeAttribute()
    pack_id = UnicodeAttribute(attr_name="packId")
    version = NumberAttribute()
    recipient_id = UnicodeAttribute(attr_name="recipientId")
    channel_id = UnicodeAttribute(attr_name="channelId")
    channel_type = UnicodeAttribute(attr_name="channelType")
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    claim = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(null=True, attr_name="leaseUntil")
    last_error = UnicodeAttribute(null=True, attr_name="lastError")
    remote_id = UnicodeAttribute(null=True, attr_name="remoteId")
    updated_at = UnicodeAttribute(attr_name="updatedAt")


class DigestEntryItem(Item, discriminator="DigestEntry"):
    member_id = UnicodeAttribute(attr_name="memberId")
    channel_id = UnicodeAttribute(attr_name="channelId")
    channel_type = UnicodeAttribute(attr_name="channelType")
    pack_id = UnicodeAttribute(attr_name="packId")
    version = NumberAttribute()
    title = UnicodeAttribute()
    from_member = UnicodeAttribute(null=True, attr_name="fromMember")


DIGESTS_DUE = "DIGESTS#DUE"


def member_pk(member_id: str) -> str:
    return f"MEMBER#{member_id}"


def stats_pk(kind: str, target_id: str) -> str:
    return f"FOLLOWSTATS#{kind}#{target_id}"


def circ_sk(version: int) -> str:
    return f"CIRC#{version:06d}"


def delivery_key(job: Job) -> tuple[str, str]:
    return f"DELIVERY#{job.pack_id}#{job.version}#{job.recipient_id}", f"{job.kind}#{job.channel_id}"


def to_follow(item: FollowItem) -> Follow:
    return to_model(Follow, item)


def to_channel(item: ChannelItem) -> Channel:
    return to_model(Channel, item, type=item.channel_type)


def channel_item(channel: Channel, token_hashes: dict[str, str]) -> ChannelItem:
    return to_item(
        ChannelItem,
        channel,
        pk=member_pk(channel.member_id),
        sk=f"CHANNEL#{channel.id}",
        channel_type=channel.type,
        token_hashes=token_hashes,
    )


def to_inbox(item: InboxItem) -> InboxEntry:
    return to_model(InboxEntry, item)


def to_publication(item: PublicationItem) -> Publication:
    edition = {fmt: Artifact.from_record(fmt, a) for fmt, a in (plain(item.edition) or {}).items()}
    return to_model(Publication, item, edition=edition)


def to_delivery(item: DeliveryItem) -> Delivery:
    return to_model(Delivery, item, job=to_model(Job, item))


def route_actions(channel: Channel, add: bool) -> list:
    entry = {f"{channel.id}#{channel.type}#{channel.mode}"}
    change = RoutesItem.routes.add(entry) if add else RoutesItem.routes.delete(entry)
    return [change, RoutesItem.type.set(RoutesItem)]


class RepoBase:
    """What every part of the circulation repo shares: the bound table and paging."""

    def __init__(self) -> None:
        bind()

    # -- paging --------------------------------------------------------------------------------------

    @staticmethod
    def _paged(model, pk: str, prefix: str, limit: int, cursor: str | None, *, newest_first=False):
        start = cursors.decode_key(cursor, names=KEYS, partition=(prefix, pk))
        result = model.query(
            pk,
            model.sk.startswith(prefix),
            limit=limit + 1,
            page_size=limit + 1,
            last_evaluated_key=start,
            scan_index_forward=not newest_first,
        )
        items, next_cursor = page([i for i in result if isinstance(i, model)], limit, KEYS)
        return items, next_cursor
