"""Connections and subscriptions in the connections table (PynamoDB), bound lazily to configuration.

| item | pk | sk | topic (GSI ``topic``) | connectionId (GSI range) |
|---|---|---|---|---|
| connection | CONN#<connectionId> | META | | <connectionId> |
| subscription | CONN#<connectionId> | SUB#<event#id or session#id> | <event#id or session#id> | <connectionId> |
| tick lease | TICK#<event#id or session#id> | TICK | | tick#<topic> |

Every item carries ``expiresAt`` (epoch seconds, the table's TTL attribute), refreshed on activity.
Access patterns: a connection and its subscriptions (``Query`` pk), a topic's subscribers (``Query``
the ``topic`` index), a topic's tick lease (conditional ``UpdateItem``, then ``GetItem`` when refused).
No scans. The lease (``nextAt``, epoch seconds) lets one worker at a time tick a topic, once per
interval, whichever of the concurrent push workers holds its posts; it is written at most once per
interval per topic, far below a partition's 1,000 writes a second.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, DiscriminatorAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from backchannel.core.dynamo.conditions import get_item, update_if
from backchannel.core.dynamo.table import TableBinding
from backchannel.live.model import Connection, Subscription

META = "META"
SUB = "SUB#"
TICK = "TICK"
LEASE_TTL_S = 3600


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


class TickItem(LiveItem, discriminator="Tick"):
    next_at = NumberAttribute(attr_name="nextAt")


bind = TableBinding(LiveItem, "connections_table_name").bind


def _pk(connection_id: str) -> str:
    return f"CONN#{connection_id}"


def _subscription(item: SubscriptionItem) -> Subscription:
    return Subscription(
        connection_id=item.connection_id,
        topic=item.topic or item.sk.removeprefix(SUB),
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
            topic=subscription.topic,
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
        return [_subscription(item) for item in SubscriptionItem.topic_index.query(topic)]

    def take_tick(self, topic: str, now_s: float, interval_s: float) -> float:
        bind()
        item = TickItem(f"TICK#{topic}", TICK)
        actions = [
            TickItem.next_at.set(round(now_s + interval_s, 3)),
            TickItem.connection_id.set(f"tick#{topic}"),
            TickItem.type.set(TickItem),
            TickItem.expires_at.set(int(now_s) + LEASE_TTL_S),
        ]
        if update_if(item, actions, TickItem.next_at.does_not_exist() | (TickItem.next_at <= now_s)):
            return 0.0
        current = get_item(TickItem, f"TICK#{topic}", TICK, consistent_read=True)
        return max(0.001, float(current.next_at) - now_s) if current else 0.001
