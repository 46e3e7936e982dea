"""DynamoDB access for circulation (the main table). The only code here that touches DynamoDB.

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

from collections.abc import Iterable, Iterator

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.exceptions import DeleteError, DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from backchannel.circulation.model import (
    FINAL,
    STATS_SHARDS,
    Block,
    Channel,
    Delivery,
    Follow,
    InboxEntry,
    Job,
    Publication,
    Route,
    shard_of,
)
from backchannel.data import cursor as cursors
from backchannel.data.models import ClaimItem, Item, MembershipItem, bind
from backchannel.data.store import _condition_failed, _connection, _failed_conditions, _page
from backchannel.domain.model import Page
from backchannel.packs_pipeline.rules import Artifact

_KEYS = ("pk", "sk")


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


def _member_pk(member_id: str) -> str:
    return f"MEMBER#{member_id}"


def _stats_pk(kind: str, target_id: str) -> str:
    return f"FOLLOWSTATS#{kind}#{target_id}"


def _circ_sk(version: int) -> str:
    return f"CIRC#{version:06d}"


def _delivery_key(job: Job) -> tuple[str, str]:
    return f"DELIVERY#{job.pack_id}#{job.version}#{job.recipient_id}", f"{job.kind}#{job.channel_id}"


def _plain(value):
    if isinstance(value, MapAttribute):
        value = value.attribute_values
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _follow(item: FollowItem) -> Follow:
    return Follow(item.follower_id, item.target_type, item.target_id, item.created_at)


def _channel(item: ChannelItem) -> Channel:
    return Channel(
        id=item.id,
        member_id=item.member_id,
        type=item.channel_type,
        mode=item.mode,
        status=item.status,
        settings=_plain(item.settings) or {},
        created_at=item.created_at,
        updated_at=item.updated_at,
        sealed=item.sealed,
        code_hash=item.code_hash,
        code_attempts=int(item.code_attempts or 0),
    )


def _channel_item(channel: Channel, token_hashes: dict[str, str]) -> ChannelItem:
    return ChannelItem(
        pk=_member_pk(channel.member_id),
        sk=f"CHANNEL#{channel.id}",
        id=channel.id,
        member_id=channel.member_id,
        channel_type=channel.type,
        mode=channel.mode,
        status=channel.status,
        settings=channel.settings,
        sealed=channel.sealed,
        code_hash=channel.code_hash,
        code_attempts=channel.code_attempts,
        token_hashes=token_hashes,
        created_at=channel.created_at,
        updated_at=channel.updated_at,
    )


def _inbox(item: InboxItem) -> InboxEntry:
    return InboxEntry(
        id=item.id,
        member_id=item.member_id,
        pack_id=item.pack_id,
        version=int(item.version),
        title=item.title,
        from_member=item.from_member,
        received_at=item.received_at,
    )


def _publication(item: PublicationItem) -> Publication:
    return Publication(
        pack_id=item.pack_id,
        version=int(item.version),
        kind=item.kind,
        target_id=item.target_id,
        event_id=item.event_id,
        owner_id=item.owner_id,
        published_by=item.published_by,
        published_at=item.published_at,
        status=item.status,
        recipients=int(item.recipients or 0),
        deliveries=int(item.deliveries or 0),
        by_channel={k: int(v) for k, v in (_plain(item.by_channel) or {}).items()},
        updated_at=item.updated_at,
        revision=int(item.revision or 0),
        bucket=item.bucket,
        edition={fmt: Artifact.from_record(fmt, a) for fmt, a in (_plain(item.edition) or {}).items()},
        left_out={k: int(v) for k, v in (_plain(item.left_out) or {}).items()},
        retractions=int(item.retractions or 0),
        retracted=int(item.retracted or 0),
        revoked_at=item.revoked_at,
    )


def _delivery(item: DeliveryItem) -> Delivery:
    job = Job(
        item.pack_id, int(item.version), item.recipient_id, item.channel_id, item.channel_type, item.kind
    )
    return Delivery(
        job=job,
        status=item.status,
        attempts=int(item.attempts or 0),
        updated_at=item.updated_at,
        claim=item.claim,
        lease_until=item.lease_until,
        last_error=item.last_error,
        remote_id=item.remote_id,
    )


class DynamoCirculationRepo:
    """Follows, blocks, channels, inbox, publications and deliveries in the main table."""

    def __init__(self) -> None:
        bind()

    # -- paging --------------------------------------------------------------------------------------

    @staticmethod
    def _paged(model, pk: str, prefix: str, limit: int, cursor: str | None, *, newest_first=False):
        start = cursors.decode(cursor, names=_KEYS, partition=(prefix, pk))
        result = model.query(
            pk,
            model.sk.startswith(prefix),
            limit=limit + 1,
            page_size=limit + 1,
            last_evaluated_key=start,
            scan_index_forward=not newest_first,
        )
        items, next_cursor = _page([i for i in result if isinstance(i, model)], limit, _KEYS)
        return items, next_cursor

    # -- network -------------------------------------------------------------------------------------

    def member_by_handle(self, handle: str) -> str | None:
        try:
            claim = ClaimItem.get(f"HANDLE#{handle.lower()}", "HANDLE")
        except DoesNotExist:
            return None
        return claim.owner_id if isinstance(claim, ClaimItem) else None

    def follow(self, follow: Follow) -> bool:
        """Record a follow and count it; False if it existed already."""
        item = FollowItem(
            pk=_member_pk(follow.follower_id),
            sk=f"FOLLOW#{follow.target_type}#{follow.target_id}",
            gsi1pk=f"FOLLOWERS#{follow.target_type}#{follow.target_id}",
            gsi1sk=follow.follower_id,
            follower_id=follow.follower_id,
            target_type=follow.target_type,
            target_id=follow.target_id,
            created_at=follow.created_at,
        )
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(item, condition=FollowItem.pk.does_not_exist())
                self._count(tx, follow.follower_id, follow.target_type, follow.target_id, 1)
            return True
        except TransactWriteError as err:
            if _failed_conditions(err):
                return False
            raise

    @staticmethod
    def _count(tx: TransactWrite, follower_id: str, kind: str, target_id: str, delta: int) -> None:
        tx.update(
            FollowStatsItem(pk=_stats_pk("member", follower_id), sk="STATS"),
            actions=[FollowStatsItem.following.add(delta), FollowStatsItem.type.set(FollowStatsItem)],
        )
        tx.update(
            FollowStatsItem(pk=_stats_pk(kind, target_id), sk="STATS"),
            actions=[FollowStatsItem.followers.add(delta), FollowStatsItem.type.set(FollowStatsItem)],
        )

    def unfollow(self, follower_id: str, kind: str, target_id: str) -> bool:
        item = FollowItem(pk=_member_pk(follower_id), sk=f"FOLLOW#{kind}#{target_id}")
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.delete(item, condition=FollowItem.pk.exists())
                self._count(tx, follower_id, kind, target_id, -1)
            return True
        except TransactWriteError as err:
            if _failed_conditions(err):
                return False
            raise

    def get_follow(self, follower_id: str, kind: str, target_id: str) -> Follow | None:
        try:
            item = FollowItem.get(_member_pk(follower_id), f"FOLLOW#{kind}#{target_id}")
        except DoesNotExist:
            return None
        return _follow(item) if isinstance(item, FollowItem) else None

    def list_follows(self, member_id: str, limit: int, cursor: str | None) -> Page[Follow]:
        items, nxt = self._paged(FollowItem, _member_pk(member_id), "FOLLOW#", limit, cursor)
        return Page([_follow(i) for i in items], nxt)

    def followers(self, kind: str, target_id: str) -> Iterator[str]:
        """Every follower's id (paged under the hood: the fan-out reads thousands)."""
        for item in FollowItem.gsi1.query(f"FOLLOWERS#{kind}#{target_id}", page_size=1000):
            if isinstance(item, FollowItem):
                yield item.follower_id

    def follow_counts(self, kind: str, target_id: str) -> tuple[int, int]:
        try:
            item = FollowStatsItem.get(_stats_pk(kind, target_id), "STATS")
        except DoesNotExist:
            return 0, 0
        return max(0, int(item.followers or 0)), max(0, int(item.following or 0))

    def block(self, block: Block) -> None:
        BlockItem(
            pk=_member_pk(block.blocker_id),
            sk=f"BLOCK#{block.blocked_id}",
            gsi1pk=f"BLOCKERS#{block.blocked_id}",
            gsi1sk=block.blocker_id,
            blocker_id=block.blocker_id,
            blocked_id=block.blocked_id,
            created_at=block.created_at,
        ).save()

    def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        try:
            BlockItem(pk=_member_pk(blocker_id), sk=f"BLOCK#{blocked_id}").delete(
                condition=BlockItem.pk.exists()
            )
            return True
        except DeleteError as err:
            if _condition_failed(err):  # there was no block
                return False
            raise

    def blocked_by(self, member_id: str) -> set[str]:
        """Members ``member_id`` blocked."""
        found = BlockItem.query(_member_pk(member_id), BlockItem.sk.startswith("BLOCK#"))
        return {i.blocked_id for i in found if isinstance(i, BlockItem)}

    def has_blocked(self, blocker_id: str, blocked_id: str) -> bool:
        try:
            item = BlockItem.get(_member_pk(blocker_id), f"BLOCK#{blocked_id}")
        except DoesNotExist:
            return False
        return isinstance(item, BlockItem)

    def blockers_of(self, member_id: str) -> set[str]:
        """Members who blocked ``member_id``."""
        return {
            i.blocker_id for i in BlockItem.gsi1.query(f"BLOCKERS#{member_id}") if isinstance(i, BlockItem)
        }

    def list_blocks(self, member_id: str, limit: int, cursor: str | None) -> Page[Block]:
        items, nxt = self._paged(BlockItem, _member_pk(member_id), "BLOCK#", limit, cursor)
        return Page([Block(i.blocker_id, i.blocked_id, i.created_at) for i in items], nxt)

    def members_of_event(self, event_id: str, member_ids: Iterable[str]) -> set[str]:
        """Those of ``member_ids`` who belong to the event (any role)."""
        keys = [(f"EVENT#{event_id}", f"MEMBER#{m}") for m in member_ids]  # PynamoDB pages by 100
        return {
            i.member_id for i in MembershipItem.batch_get(keys) if isinstance(i, MembershipItem) and i.roles
        }

    def attendees(self, event_id: str) -> Iterator[str]:
        found = MembershipItem.query(
            f"EVENT#{event_id}", MembershipItem.sk.startswith("MEMBER#"), page_size=1000
        )
        for item in found:
            if isinstance(item, MembershipItem) and item.roles:
                yield item.member_id

    # -- channels ------------------------------------------------------------------------------------

    def create_channel(self, channel: Channel, tokens: dict[str, str]) -> None:
        """The channel, its route if it is active, and its tokens (purpose -> hash), in one write."""
        with TransactWrite(connection=_connection()) as tx:
            tx.save(_channel_item(channel, tokens), condition=ChannelItem.pk.does_not_exist())
            for purpose, token_hash in tokens.items():
                tx.save(
                    TokenItem(
                        pk=f"TOKEN#{token_hash}",
                        sk="TOKEN",
                        purpose=purpose,
                        member_id=channel.member_id,
                        channel_id=channel.id,
                    ),
                    condition=TokenItem.pk.does_not_exist(),
                )
            if channel.active:
                tx.update(
                    RoutesItem(pk=_member_pk(channel.member_id), sk="ROUTES"),
                    actions=_route_actions(channel, True),
                )

    def get_channel(self, member_id: str, channel_id: str) -> Channel | None:
        try:
            item = ChannelItem.get(_member_pk(member_id), f"CHANNEL#{channel_id}", consistent_read=True)
        except DoesNotExist:
            return None
        return _channel(item) if isinstance(item, ChannelItem) else None

    def list_channels(self, member_id: str) -> list[Channel]:
        found = ChannelItem.query(_member_pk(member_id), ChannelItem.sk.startswith("CHANNEL#"))
        return [_channel(i) for i in found if isinstance(i, ChannelItem)]

    def delete_channel(self, member_id: str, channel_id: str) -> bool:
        try:
            item = ChannelItem.get(_member_pk(member_id), f"CHANNEL#{channel_id}", consistent_read=True)
        except DoesNotExist:
            return False
        channel = _channel(item)
        with TransactWrite(connection=_connection()) as tx:
            tx.delete(item)
            for token_hash in (_plain(item.token_hashes) or {}).values():
                tx.delete(TokenItem(pk=f"TOKEN#{token_hash}", sk="TOKEN"))
            tx.update(
                RoutesItem(pk=_member_pk(member_id), sk="ROUTES"), actions=_route_actions(channel, False)
            )
        return True

    def set_status(self, channel: Channel, status: str, *, expect: str, now: str) -> bool:
        """Move a channel from ``expect`` to ``status`` (and add or drop its route)."""
        key = ChannelItem(pk=_member_pk(channel.member_id), sk=f"CHANNEL#{channel.id}")
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.update(
                    key,
                    actions=[ChannelItem.status.set(status), ChannelItem.updated_at.set(now)],
                    condition=ChannelItem.status == expect,
                )
                tx.update(
                    RoutesItem(pk=_member_pk(channel.member_id), sk="ROUTES"),
                    actions=_route_actions(channel, status == "active"),
                )
            return True
        except TransactWriteError as err:
            if _failed_conditions(err):  # not in ``expect`` (any more)
                return False
            raise

    def count_code_attempt(self, channel: Channel) -> None:
        key = ChannelItem(pk=_member_pk(channel.member_id), sk=f"CHANNEL#{channel.id}")
        key.update(actions=[ChannelItem.code_attempts.add(1)])

    def routes_of(self, member_ids: list[str]) -> dict[str, list[Route]]:
        """The active channels of any number of members (BatchGetItem: PynamoDB pages by 100)."""
        routes: dict[str, list[Route]] = {}
        for item in RoutesItem.batch_get([(_member_pk(m), "ROUTES") for m in member_ids]):
            if isinstance(item, RoutesItem):
                member = item.pk.removeprefix("MEMBER#")
                routes[member] = [Route(*value.split("#", 2)) for value in sorted(item.routes or ())]
        return routes

    def token(self, token_hash: str) -> dict | None:
        try:
            item = TokenItem.get(f"TOKEN#{token_hash}", "TOKEN")
        except DoesNotExist:
            return None
        if not isinstance(item, TokenItem):
            return None
        return {
            "purpose": item.purpose,
            "memberId": item.member_id,
            "channelId": item.channel_id,
            "packId": item.pack_id,
            "version": int(item.version) if item.version is not None else None,
            "deliveryId": item.delivery_id,
            "expiresAt": item.expires_at,
        }

    def put_pack_token(
        self, token_hash: str, member_id: str, job: Job, *, version: int, expires_at: str
    ) -> None:
        """A capability link to the edition of one publication, sent with one delivery (``job``)."""
        TokenItem(
            pk=f"TOKEN#{token_hash}",
            sk="TOKEN",
            purpose="pack",
            member_id=member_id,
            pack_id=job.pack_id,
            version=version,
            channel_id=job.channel_id,
            delivery_id=job.id,
            expires_at=expires_at,
        ).save()

    # -- inbox ---------------------------------------------------------------------------------------

    def inbox(self, member_id: str, limit: int, cursor: str | None) -> Page[InboxEntry]:
        items, nxt = self._paged(InboxItem, _member_pk(member_id), "INBOX#", limit, cursor, newest_first=True)
        return Page([_inbox(i) for i in items], nxt)

    def inbox_entry(self, member_id: str, entry_id: str) -> InboxEntry | None:
        try:
            item = InboxItem.get(_member_pk(member_id), f"INBOX#{entry_id}")
        except DoesNotExist:
            return None
        return _inbox(item) if isinstance(item, InboxItem) else None

    # -- publications --------------------------------------------------------------------------------

    def create_publication(self, pub: Publication) -> bool:
        """The publication and its zeroed counters; False if this version was published already."""
        item = PublicationItem(
            pk=f"PACK#{pub.pack_id}",
            sk=_circ_sk(pub.version),
            pack_id=pub.pack_id,
            version=pub.version,
            kind=pub.kind,
            target_id=pub.target_id,
            event_id=pub.event_id,
            owner_id=pub.owner_id,
            published_by=pub.published_by,
            published_at=pub.published_at,
            status=pub.status,
            updated_at=pub.published_at,
        )
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(item, condition=PublicationItem.pk.does_not_exist())
                for shard in range(STATS_SHARDS):
                    tx.save(
                        DeliveryStatsItem(
                            pk=f"PACK#{pub.pack_id}", sk=f"{_circ_sk(pub.version)}#STATS#{shard}", counts={}
                        )
                    )
            return True
        except TransactWriteError as err:
            if _failed_conditions(err):
                return False
            raise

    def get_publication(self, pack_id: str, version: int) -> Publication | None:
        try:
            item = PublicationItem.get(f"PACK#{pack_id}", _circ_sk(version), consistent_read=True)
        except DoesNotExist:
            return None
        return _publication(item) if isinstance(item, PublicationItem) else None

    def latest_publication(self, pack_id: str) -> Publication | None:
        """The newest publication of a pack that its publisher has not revoked."""
        return next((p for p, _ in self.publications(pack_id) if not p.revoked_at), None)

    def publications(self, pack_id: str) -> list[tuple[Publication, dict[str, int]]]:
        """Every publication of a pack, newest first, with its counters summed over the shards."""
        pubs: dict[int, Publication] = {}
        counts: dict[int, dict[str, int]] = {}
        for item in Item.query(f"PACK#{pack_id}", Item.sk.startswith("CIRC#")):
            version = int(item.sk[5:11])
            if isinstance(item, PublicationItem):
                pubs[version] = _publication(item)
            elif isinstance(item, DeliveryStatsItem):
                total = counts.setdefault(version, {})
                for key, value in (_plain(item.counts) or {}).items():
                    total[key] = total.get(key, 0) + int(value)
        return [(pubs[v], counts.get(v, {})) for v in sorted(pubs, reverse=True)]

    def set_edition(
        self,
        pub: Publication,
        *,
        revision: int,
        bucket: str,
        edition: dict[str, Artifact],
        left_out: dict[str, int],
        now: str,
    ) -> bool:
        """Serve ``revision`` of the publication's edition, built after the ``pub.retractions``
        withdrawals read before the build. Conditional on both: False if another worker moved the
        revision on, or a withdrawal came during the build (then it must be built again)."""
        key = PublicationItem(pk=f"PACK#{pub.pack_id}", sk=_circ_sk(pub.version))
        try:
            key.update(
                actions=[
                    PublicationItem.revision.set(revision),
                    PublicationItem.bucket.set(bucket),
                    PublicationItem.edition.set({fmt: a.to_record() for fmt, a in edition.items()}),
                    PublicationItem.left_out.set(left_out),
                    PublicationItem.retracted.set(pub.retractions),
                    PublicationItem.updated_at.set(now),
                ],
                condition=PublicationItem.pk.exists()
                & (PublicationItem.revision == revision - 1)
                & (PublicationItem.retractions == pub.retractions),
            )
            return True
        except UpdateError as err:
            if _condition_failed(err):
                return False
            raise

    def retract_publications(self, pack_id: str, *, now: str) -> int:
        """Something the pack's circulated editions may hold was taken away: each publication counts
        one more withdrawal (served no more until rebuilt; the stream says ``PackRetracted``)."""
        found = Item.query(f"PACK#{pack_id}", Item.sk.startswith("CIRC#"))
        pubs = [i for i in found if isinstance(i, PublicationItem)]
        for item in pubs:
            try:
                item.update(
                    actions=[PublicationItem.retractions.add(1), PublicationItem.updated_at.set(now)],
                    condition=PublicationItem.pk.exists(),
                )
            except UpdateError as err:
                if not _condition_failed(err):
                    raise
        return len(pubs)

    def revoke_publication(self, pub: Publication, *, now: str) -> bool:
        """The publisher takes a publication back: every inbox entry and link of it answers 410."""
        key = PublicationItem(pk=f"PACK#{pub.pack_id}", sk=_circ_sk(pub.version))
        try:
            key.update(
                actions=[PublicationItem.revoked_at.set(now), PublicationItem.updated_at.set(now)],
                condition=PublicationItem.pk.exists() & PublicationItem.revoked_at.does_not_exist(),
            )
            return True
        except UpdateError as err:
            if _condition_failed(err):
                return False
            raise

    def update_publication(self, pub: Publication, *, now: str) -> None:
        key = PublicationItem(pk=f"PACK#{pub.pack_id}", sk=_circ_sk(pub.version))
        key.update(
            actions=[
                PublicationItem.status.set(pub.status),
                PublicationItem.recipients.set(pub.recipients),
                PublicationItem.deliveries.set(pub.deliveries),
                PublicationItem.by_channel.set(pub.by_channel),
                PublicationItem.updated_at.set(now),
            ]
        )

    # -- deliveries ----------------------------------------------------------------------------------

    def get_delivery(self, job: Job) -> Delivery | None:
        pk, sk = _delivery_key(job)
        try:
            item = DeliveryItem.get(pk, sk, consistent_read=True)
        except DoesNotExist:
            return None
        return _delivery(item) if isinstance(item, DeliveryItem) else None

    def claim(self, job: Job, *, claim: str, now: str, lease_until: str) -> Delivery | None:
        """Take the job for one attempt: only if nobody has, it is waiting for a retry, or a claim's
        lease ran out (its worker died). None if it is final or someone else holds it."""
        pk, sk = _delivery_key(job)
        item = DeliveryItem(pk=pk, sk=sk)
        may_take = (
            DeliveryItem.pk.does_not_exist()
            | (DeliveryItem.status == "retrying")
            | ((DeliveryItem.status == "sending") & (DeliveryItem.lease_until < now))
        )
        try:
            item.update(
                actions=[
                    DeliveryItem.type.set(DeliveryItem),
                    DeliveryItem.kind.set(job.kind),
                    DeliveryItem.pack_id.set(job.pack_id),
                    DeliveryItem.version.set(job.version),
                    DeliveryItem.recipient_id.set(job.recipient_id),
                    DeliveryItem.channel_id.set(job.channel_id),
                    DeliveryItem.channel_type.set(job.channel_type),
                    DeliveryItem.status.set("sending"),
                    DeliveryItem.attempts.add(1),
                    DeliveryItem.claim.set(claim),
                    DeliveryItem.lease_until.set(lease_until),
                    DeliveryItem.updated_at.set(now),
                ],
                condition=may_take,
            )
        except UpdateError as err:
            if _condition_failed(err):
                return None
            raise
        return _delivery(item)

    def complete(
        self,
        delivery: Delivery,
        status: str,
        *,
        now: str,
        error: str | None = None,
        remote_id: str | None = None,
        inbox: InboxEntry | None = None,
        digest: dict | None = None,
    ) -> bool:
        """End the claimed attempt with a final status, count it, and write what belongs with it (the
        inbox entry) in the same transaction. False: the claim was lost."""
        assert status in FINAL
        job = delivery.job
        pk, sk = _delivery_key(job)
        actions = [
            DeliveryItem.status.set(status),
            DeliveryItem.updated_at.set(now),
            DeliveryItem.lease_until.remove(),
        ]
        if error:
            actions.append(DeliveryItem.last_error.set(error[:300]))
        if remote_id:
            actions.append(DeliveryItem.remote_id.set(remote_id))
        if status == "sent" and job.kind == "publish" and job.channel_type in ("webhook", "mastodon"):
            actions += [
                DeliveryItem.gsi1pk.set(f"RETRACTABLE#{job.pack_id}#{shard_of(job.recipient_id)}"),
                DeliveryItem.gsi1sk.set(f"{job.version:06d}#{job.recipient_id}#{job.channel_id}"),
            ]
        counter = (
            f"{job.channel_type}#{status}"
            if job.kind == "publish"
            else f"{job.channel_type}#retract-{status}"
        )
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.update(
                    DeliveryItem(pk=pk, sk=sk),
                    actions=actions,
                    condition=(DeliveryItem.claim == delivery.claim) & (DeliveryItem.status == "sending"),
                )
                if job.kind != "digest":  # a digest's packs are counted per entry (clear_digest)
                    tx.update(
                        DeliveryStatsItem(
                            pk=f"PACK#{job.pack_id}",
                            sk=f"{_circ_sk(job.version)}#STATS#{shard_of(job.recipient_id)}",
                        ),
                        actions=[DeliveryStatsItem.counts[counter].add(1)],
                        condition=DeliveryStatsItem.pk.exists(),
                    )
                if digest is not None:
                    tx.save(
                        DigestEntryItem(
                            pk=f"DIGEST#{job.channel_id}",
                            sk=f"{job.pack_id}#{job.version:06d}",
                            gsi1pk=DIGESTS_DUE,
                            gsi1sk=f"{job.recipient_id}#{job.channel_id}#{job.pack_id}#{job.version}",
                            member_id=job.recipient_id,
                            channel_id=job.channel_id,
                            channel_type=job.channel_type,
                            pack_id=job.pack_id,
                            version=job.version,
                            title=digest["title"],
                            from_member=digest.get("from"),
                        )
                    )
                if inbox is not None:
                    tx.save(
                        InboxItem(
                            pk=_member_pk(inbox.member_id),
                            sk=f"INBOX#{inbox.id}",
                            id=inbox.id,
                            member_id=inbox.member_id,
                            pack_id=inbox.pack_id,
                            version=inbox.version,
                            title=inbox.title,
                            from_member=inbox.from_member,
                            received_at=inbox.received_at,
                        ),
                        condition=InboxItem.pk.does_not_exist(),
                    )
            return True
        except TransactWriteError as err:
            if _failed_conditions(err):
                return False
            raise

    def retry_later(self, delivery: Delivery, *, error: str, now: str) -> bool:
        pk, sk = _delivery_key(delivery.job)
        try:
            DeliveryItem(pk=pk, sk=sk).update(
                actions=[
                    DeliveryItem.status.set("retrying"),
                    DeliveryItem.last_error.set(error[:300]),
                    DeliveryItem.lease_until.remove(),
                    DeliveryItem.updated_at.set(now),
                ],
                condition=(DeliveryItem.claim == delivery.claim) & (DeliveryItem.status == "sending"),
            )
            return True
        except UpdateError as err:
            if _condition_failed(err):
                return False
            raise

    # -- daily digests -------------------------------------------------------------------------------

    def due_digests(self) -> list[tuple[str, str, str]]:
        """(memberId, channelId, channelType) of every channel with held entries."""
        found: dict[tuple[str, str], str] = {}
        for item in DigestEntryItem.gsi1.query(DIGESTS_DUE, page_size=1000):
            if isinstance(item, DigestEntryItem):
                found.setdefault((item.member_id, item.channel_id), item.channel_type)
        return [(m, c, t) for (m, c), t in sorted(found.items())]

    def digest_entries(self, channel_id: str) -> list[dict]:
        found = DigestEntryItem.query(f"DIGEST#{channel_id}")
        return [
            {
                "packId": i.pack_id,
                "version": int(i.version),
                "title": i.title,
                "from": i.from_member,
                "memberId": i.member_id,
                "channelType": i.channel_type,
            }
            for i in found
            if isinstance(i, DigestEntryItem)
        ]

    def clear_digest(self, channel_id: str, entries: list[dict], *, as_status: str = "sent") -> None:
        """The entries a digest carried (or dropped): counted ``as_status`` instead of held and
        removed, each in one transaction (so a second run cannot count them twice)."""
        for e in entries:
            shard = shard_of(e["memberId"])
            try:
                with TransactWrite(connection=_connection()) as tx:
                    tx.delete(
                        DigestEntryItem(pk=f"DIGEST#{channel_id}", sk=f"{e['packId']}#{e['version']:06d}"),
                        condition=DigestEntryItem.pk.exists(),
                    )
                    tx.update(
                        DeliveryStatsItem(
                            pk=f"PACK#{e['packId']}", sk=f"{_circ_sk(e['version'])}#STATS#{shard}"
                        ),
                        actions=[
                            DeliveryStatsItem.counts[f"{e['channelType']}#held"].add(-1),
                            DeliveryStatsItem.counts[f"{e['channelType']}#{as_status}"].add(1),
                        ],
                        condition=DeliveryStatsItem.pk.exists(),
                    )
            except TransactWriteError:
                continue  # removed already (a repeated run), or the pack's counters are gone

    def retractable(self, pack_id: str, version: int) -> Iterator[Delivery]:
        """Sent webhook and Mastodon deliveries of one published version."""
        for shard in range(STATS_SHARDS):
            found = DeliveryItem.gsi1.query(
                f"RETRACTABLE#{pack_id}#{shard}", DeliveryItem.gsi1sk.startswith(f"{version:06d}#")
            )
            for item in found:
                if isinstance(item, DeliveryItem):
                    yield _delivery(item)


def _route_actions(channel: Channel, add: bool) -> list:
    entry = {f"{channel.id}#{channel.type}#{channel.mode}"}
    change = RoutesItem.routes.add(entry) if add else RoutesItem.routes.delete(entry)
    return [change, RoutesItem.type.set(RoutesItem)]
