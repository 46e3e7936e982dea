"""Connections and subscriptions in the connections table (PynamoDB), bound lazily to configuration.

| item | pk | sk | topic (GSI ``topic``) | connectionId (GSI range) |
|---|---|---|---|---|
| connection | CONN#<connectionId> | META | | <connectionId> |
| subscription | CONN#<connectionId> | SUB#<event#id or session#id> | <event#id or session#id>#<0..7> | <connectionId> |
| tick interval | TICK#<topic> | INTERVAL | | TICK |
| tick claim | TICK#<topic>#<slot end, ms> | CLAIM | | TICK |
| tick part | TICK#<topic>#<slot end, ms>#<0..3> | <part id> | | TICK |

Every item carries ``expiresAt`` (epoch seconds, the table's TTL attribute), refreshed on activity.
Access patterns: a connection and its subscriptions (``Query`` pk), a topic's subscribers (``Query``
the ``topic`` index's 8 keys of the topic, :func:`topic_shard_key`), a tick slot's parts (``Query`` 4
keys, consistent). No scans.

A topic's subscriptions are spread over ``TOPIC_SHARDS`` index keys by connection: a subscribe is two
index writes (the put, then the expiry's refresh), and 10,000 sockets joining a keynote in 30 s would
put about 670 a second on one key; 8 keys take about 85 each. Reading them back costs 8 queries, once a
tick, by the tick's claimant only; the union is exact (a subscription is on exactly one key).

A tick slot (:mod:`backchannel.live.ticks`): every push worker holding new posts of a topic writes a
*part* (how many, and the ``seq|id`` of its newest few) into the slot that ends next, in a transaction
that checks the slot is not *closed*; the one worker that creates the slot's *claim* waits for its end,
closes it, reads its parts and sends the tick. A part written before the close is read; one refused by
it goes into the next slot. Items expire after 10 minutes (TTL).
"""

from __future__ import annotations

import random
import time
import zlib

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from backchannel.core.dynamo.conditions import Transaction, get_item, save_new, update_if
from backchannel.core.dynamo.table import TableBinding
from backchannel.live.model import Connection, Subscription, TickPart

META = "META"
SUB = "SUB#"
TICK = "TICK"
CLAIM = "CLAIM"
INTERVAL = "INTERVAL"
PART_SHARDS = 4  # a busy slot's parts spread over 4 partition keys (each far below 1,000 writes/s)
TICK_TTL_S = 600
TOPIC_SHARDS = 8  # a topic's subscriptions over 8 keys of the ``topic`` index


def topic_shard_key(topic: str, connection_id: str) -> str:
    """The ``topic`` index key of a subscription: the topic and its shard, chosen by connection."""
    return f"{topic}#{zlib.crc32(connection_id.encode()) % TOPIC_SHARDS}"


def _tick_pk(topic: str, end_ms: int) -> str:
    return f"TICK#{topic}#{end_ms}"


class TopicIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "topic"
        projection = AllProjection()

    topic = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True, attr_name="connectionId")


class LiveItem(Model):
    """Every item of the connections table; ``type`` tells which kind."""

    class Meta:
        table_name: str | None = None  # bound from configuration on first use, see bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    connection_id = UnicodeAttribute(attr_name="connectionId")
    member_id = UnicodeAttribute(null=True, attr_name="memberId")
    expires_at = NumberAttribute(attr_name="expiresAt")
    topic = UnicodeAttribute(null=True)

    @classmethod
    def _get_connection(cls):
        # one connection (one botocore client) for every model of the table, as for the main table
        return Model._get_connection.__func__(LiveItem)

    topic_index = TopicIndex()

    @classmethod
    def _get_connection(cls):
        return Model._get_connection.__func__(LiveItem)


class ConnectionItem(LiveItem, discriminator="Connection"):
    connected_at = UnicodeAttribute(attr_name="connectedAt")


class SubscriptionItem(LiveItem, discriminator="Subscription"):
    event_id = UnicodeAttribute(attr_name="eventId")
    insider = BooleanAttribute(default=False)


class TickClaimItem(LiveItem, discriminator="TickClaim"):
    closed = BooleanAttribute(null=True)


class TickTopicItem(LiveItem, discriminator="TickTopic"):
    interval = NumberAttribute()


class TickPartItem(LiveItem, discriminator="TickPart"):
    count = NumberAttribute()
    newest = ListAttribute(of=UnicodeAttribute, null=True)


bind = TableBinding(LiveItem, "connections_table_name").bind


def _pk(connection_id: str) -> str:
    return f"CONN#{connection_id}"


def _subscription(item: SubscriptionItem) -> Subscription:
    return Subscription(
        connection_id=item.connection_id,
        topic=item.sk.removeprefix(SUB),  # the index key carries the shard too
        event_id=item.event_id,
        member_id=item.member_id,
        insider=bool(item.insider),
        expires_at=int(item.expires_at),
    )


class DynamoConnectionsRepo:
    """The :class:`backchannel.live.rules.Connections` of the connections table."""

    def put_connection(self, connection: Connection) -> None:
        bind()
        ConnectionItem(
            _pk(connection.connection_id),
            META,
            connection_id=connection.connection_id,
            member_id=connection.member_id,
            connected_at=connection.connected_at,
            expires_at=connection.expires_at,
        ).save()

    def get_connection(self, connection_id: str) -> Connection | None:
        bind()
        try:
            item = ConnectionItem.get(_pk(connection_id), META)
        except DoesNotExist:
            return None
        return Connection(item.connection_id, item.member_id, item.connected_at, int(item.expires_at))

    def subscriptions_of(self, connection_id: str) -> list[Subscription]:
        bind()
        return [
            _subscription(item)
            for item in SubscriptionItem.query(_pk(connection_id), SubscriptionItem.sk.startswith(SUB))
        ]

    def put_subscription(self, subscription: Subscription) -> None:
        bind()
        SubscriptionItem(
            _pk(subscription.connection_id),
            SUB + subscription.topic,
            connection_id=subscription.connection_id,
            member_id=subscription.member_id,
            topic=topic_shard_key(subscription.topic, subscription.connection_id),
            event_id=subscription.event_id,
            insider=subscription.insider,
            expires_at=subscription.expires_at,
        ).save()

    def delete_subscription(self, connection_id: str, topic: str) -> None:
        bind()
        SubscriptionItem(_pk(connection_id), SUB + topic).delete()

    def refresh(self, connection_id: str, expires_at: int) -> None:
        """Push back the expiry of the connection and its subscriptions (never resurrects a deleted one)."""
        bind()
        for item in LiveItem.query(_pk(connection_id)):
            update_if(item, [LiveItem.expires_at.set(expires_at)], LiveItem.pk.exists())

    def delete_connection(self, connection_id: str) -> None:
        bind()
        items = list(LiveItem.query(_pk(connection_id)))
        with LiveItem.batch_write() as batch:
            for item in items:
                batch.delete(item)

    def subscribers(self, topic: str) -> list[Subscription]:
        bind()
        return [
            _subscription(item)
            for shard in range(TOPIC_SHARDS)
            for item in SubscriptionItem.topic_index.query(f"{topic}#{shard}")
        ]

    def tick_interval(self, topic: str) -> float | None:
        bind()
        item = get_item(TickTopicItem, f"TICK#{topic}", INTERVAL)
        return float(item.interval) if item else None

    def set_tick_interval(self, topic: str, interval_s: float) -> None:
        bind()
        TickTopicItem(
            f"TICK#{topic}",
            INTERVAL,
            connection_id=TICK,
            interval=interval_s,
            expires_at=int(time.time()) + 86400,
        ).save()

    def add_to_tick(self, topic: str, end_ms: int, part: TickPart) -> bool:
        bind()
        claim = TickClaimItem(_tick_pk(topic, end_ms), CLAIM)
        item = TickPartItem(
            f"{_tick_pk(topic, end_ms)}#{random.randrange(PART_SHARDS)}",
            part.id,
            connection_id=TICK,
            count=part.count,
            newest=[f"{seq}|{post_id}" for seq, post_id in part.newest],
            expires_at=end_ms // 1000 + TICK_TTL_S,
        )
        tx = Transaction()
        try:
            with tx:
                tx.condition_check(
                    TickClaimItem, claim.pk, claim.sk, condition=TickClaimItem.closed.does_not_exist()
                )
                tx.save(item)
        except TransactWriteError as err:
            if tx.refused(err, claim):
                return False
            raise
        return True

    def claim_tick(self, topic: str, end_ms: int) -> bool:
        bind()
        claim = TickClaimItem(
            _tick_pk(topic, end_ms), CLAIM, connection_id=TICK, expires_at=end_ms // 1000 + TICK_TTL_S
        )
        return save_new(claim)

    def close_tick(self, topic: str, end_ms: int) -> list[TickPart]:
        bind()
        claim = TickClaimItem(_tick_pk(topic, end_ms), CLAIM)
        update_if(claim, [TickClaimItem.closed.set(True)], TickClaimItem.pk.exists())
        parts = []
        for shard in range(PART_SHARDS):
            for item in TickPartItem.query(f"{_tick_pk(topic, end_ms)}#{shard}", consistent_read=True):
                if isinstance(item, TickPartItem):
                    newest = [tuple(entry.split("|", 1)) for entry in item.newest or []]
                    parts.append(TickPart(item.sk, int(item.count), newest))
        return parts
