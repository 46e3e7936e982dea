"""A member's channels, their routes and tokens."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from backchannel.circulation.dynamo.items import (
    ChannelItem,
    RepoBase,
    RoutesItem,
    TokenItem,
    channel_item,
    member_pk,
    plain,
    route_actions,
    to_channel,
)
from backchannel.circulation.model import (
    Channel,
    Job,
    Route,
)
from backchannel.core.dynamo.conditions import Transaction, get_item


class ChannelsRepo(RepoBase):
    # -- channels ------------------------------------------------------------------------------------

    def create_channel(self, channel: Channel, tokens: dict[str, str]) -> None:
        """The channel, its route if it is active, and its tokens (purpose -> hash), in one write."""
        with Transaction() as tx:
            tx.save(channel_item(channel, tokens), condition=ChannelItem.pk.does_not_exist())
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
                    RoutesItem(pk=member_pk(channel.member_id), sk="ROUTES"),
                    actions=route_actions(channel, True),
                )

    def get_channel(self, member_id: str, channel_id: str) -> Channel | None:
        item = get_item(ChannelItem, member_pk(member_id), f"CHANNEL#{channel_id}", consistent_read=True)
        return to_channel(item) if item else None

    def list_channels(self, member_id: str) -> list[Channel]:
        found = ChannelItem.query(member_pk(member_id), ChannelItem.sk.startswith("CHANNEL#"))
        return [to_channel(i) for i in found if isinstance(i, ChannelItem)]

    def delete_channel(self, member_id: str, channel_id: str) -> bool:
        item = get_item(ChannelItem, member_pk(member_id), f"CHANNEL#{channel_id}", consistent_read=True)
        if item is None:
            return False
        channel = to_channel(item)
        with Transaction() as tx:
            tx.delete(item)
            for token_hash in (plain(item.token_hashes) or {}).values():
                tx.delete(TokenItem(pk=f"TOKEN#{token_hash}", sk="TOKEN"))
            tx.update(RoutesItem(pk=member_pk(member_id), sk="ROUTES"), actions=route_actions(channel, False))
        return True

    def set_status(self, channel: Channel, status: str, *, expect: str, now: str) -> bool:
        """Move a channel from ``expect`` to ``status`` (and add or drop its route)."""
        key = ChannelItem(pk=member_pk(channel.member_id), sk=f"CHANNEL#{channel.id}")
        try:
            with Transaction() as tx:
                tx.update(
                    key,
                    actions=[ChannelItem.status.set(status), ChannelItem.updated_at.set(now)],
                    condition=ChannelItem.status == expect,
                )
                tx.update(
                    RoutesItem(pk=member_pk(channel.member_id), sk="ROUTES"),
                    actions=route_actions(channel, status == "active"),
                )
            return True
        except TransactWriteError as err:
            if tx.refused(err):  # not in ``expect`` (any more)
                return False
            raise

    def count_code_attempt(self, channel: Channel) -> None:
        key = ChannelItem(pk=member_pk(channel.member_id), sk=f"CHANNEL#{channel.id}")
        key.update(actions=[ChannelItem.code_attempts.add(1)])

    def routes_of(self, member_ids: list[str]) -> dict[str, list[Route]]:
        """The active channels of any number of members (BatchGetItem: PynamoDB pages by 100)."""
        routes: dict[str, list[Route]] = {}
        for item in RoutesItem.batch_get([(member_pk(m), "ROUTES") for m in member_ids]):
            if isinstance(item, RoutesItem):
                member = item.pk.removeprefix("MEMBER#")
                routes[member] = [Route(*value.split("#", 2)) for value in sorted(item.routes or ())]
        return routes

    def token(self, token_hash: str) -> dict | None:
        item = get_item(TokenItem, f"TOKEN#{token_hash}", "TOKEN")
        if item is None:
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
