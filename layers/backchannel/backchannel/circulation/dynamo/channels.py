"""A member's channels, their routes and tokens."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from backchannel.circulation.dynamo.items import (
    ChannelItem,
    CodeMailCountItem,
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
    CodeMail,
    CodeMailCap,
    Job,
    Route,
)
from backchannel.core.dynamo.conditions import Transaction, get_item, update_if


class ChannelsRepo(RepoBase):
    # -- channels ------------------------------------------------------------------------------------

    def create_channel(
        self, channel: Channel, tokens: dict[str, str], *, code_mail: CodeMail | None = None
    ) -> None:
        """The channel, its route if it is active, and its tokens (purpose -> hash), in one write; with
        ``code_mail``, the day's verification mails to its address and of its member counted in the
        same write, or :class:`CodeMailCap` (and nothing written) when either count is at its cap.
        The counts outlive the channel, so deleting and adding it again counts again."""
        counts = _code_mail_counts(channel.member_id, code_mail) if code_mail else []
        tx = Transaction()
        try:
            with tx:
                for item, cap, _ in counts:
                    tx.update(
                        item,
                        actions=[CodeMailCountItem.count.add(1)],
                        condition=CodeMailCountItem.count.does_not_exist() | (CodeMailCountItem.count < cap),
                    )
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
        except TransactWriteError as err:
            for item, _, message in counts:
                if tx.refused(err, item):
                    raise CodeMailCap(message) from None
            raise

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

    def take_code_attempt(self, channel: Channel, limit: int) -> bool:
        """Count one try of a pending channel's code, unless ``limit`` tries were made (False): the
        count is taken before the code is compared, so parallel guesses cannot pass the cap."""
        key = ChannelItem(pk=member_pk(channel.member_id), sk=f"CHANNEL#{channel.id}")
        return update_if(
            key,
            [ChannelItem.code_attempts.add(1)],
            (ChannelItem.status == "pending") & (ChannelItem.code_attempts < limit),
        )

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


def _code_mail_counts(member_id: str, mail: CodeMail) -> list[tuple[CodeMailCountItem, int, str]]:
    """The two counts a verification mail adds to (item, cap, what to say when it is full)."""
    day = f"DAY#{mail.day}"
    return [
        (
            CodeMailCountItem(pk=f"CODEMAIL#ADDRESS#{mail.address_key}", sk=day),
            mail.per_address,
            f"this address has had {mail.per_address} verification mails today: try again tomorrow",
        ),
        (
            CodeMailCountItem(pk=f"CODEMAIL#MEMBER#{member_id}", sk=day),
            mail.per_member,
            f"you have asked for {mail.per_member} verification mails today: try again tomorrow",
        ),
    ]
