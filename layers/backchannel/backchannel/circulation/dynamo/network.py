"""Follows, follow counts and blocks."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from backchannel.circulation.dynamo.items import (
    BlockItem,
    FollowItem,
    FollowStatsItem,
    RepoBase,
    member_pk,
    stats_pk,
    to_follow,
)
from backchannel.circulation.model import (
    Block,
    Follow,
)
from backchannel.conference.items import ClaimItem
from backchannel.core.dynamo.conditions import Transaction, delete_if, get_item
from backchannel.core.dynamo.convert import to_item, to_model
from backchannel.core.model import Page


class NetworkRepo(RepoBase):
    # -- network -------------------------------------------------------------------------------------

    def member_by_handle(self, handle: str) -> str | None:
        claim = get_item(ClaimItem, f"HANDLE#{handle.lower()}", "HANDLE")
        return claim.owner_id if claim else None

    def follow(self, follow: Follow) -> bool:
        """Record a follow and count it; False if it existed already."""
        item = to_item(
            FollowItem,
            follow,
            pk=member_pk(follow.follower_id),
            sk=f"FOLLOW#{follow.target_type}#{follow.target_id}",
            gsi1pk=f"FOLLOWERS#{follow.target_type}#{follow.target_id}",
            gsi1sk=follow.follower_id,
        )
        try:
            with Transaction() as tx:
                tx.save(item, condition=FollowItem.pk.does_not_exist())
                self._count(tx, follow.follower_id, follow.target_type, follow.target_id, 1)
            return True
        except TransactWriteError as err:
            if tx.refused(err):
                return False
            raise

    @staticmethod
    def _count(tx: TransactWrite, follower_id: str, kind: str, target_id: str, delta: int) -> None:
        tx.update(
            FollowStatsItem(pk=stats_pk("member", follower_id), sk="STATS"),
            actions=[FollowStatsItem.following.add(delta), FollowStatsItem.type.set(FollowStatsItem)],
        )
        tx.update(
            FollowStatsItem(pk=stats_pk(kind, target_id), sk="STATS"),
            actions=[FollowStatsItem.followers.add(delta), FollowStatsItem.type.set(FollowStatsItem)],
        )

    def unfollow(self, follower_id: str, kind: str, target_id: str) -> bool:
        item = FollowItem(pk=member_pk(follower_id), sk=f"FOLLOW#{kind}#{target_id}")
        try:
            with Transaction() as tx:
                tx.delete(item, condition=FollowItem.pk.exists())
                self._count(tx, follower_id, kind, target_id, -1)
            return True
        except TransactWriteError as err:
            if tx.refused(err):
                return False
            raise

    def get_follow(self, follower_id: str, kind: str, target_id: str) -> Follow | None:
        item = get_item(FollowItem, member_pk(follower_id), f"FOLLOW#{kind}#{target_id}")
        return to_follow(item) if item else None

    def list_follows(self, member_id: str, limit: int, cursor: str | None) -> Page[Follow]:
        items, nxt = self._paged(FollowItem, member_pk(member_id), "FOLLOW#", limit, cursor)
        return Page([to_follow(i) for i in items], nxt)

    def followers(self, kind: str, target_id: str) -> Iterator[str]:
        """Every follower's id (paged under the hood: the fan-out reads thousands)."""
        for item in FollowItem.gsi1.query(f"FOLLOWERS#{kind}#{target_id}", page_size=1000):
            if isinstance(item, FollowItem):
                yield item.follower_id

    def follow_counts(self, kind: str, target_id: str) -> tuple[int, int]:
        item = get_item(FollowStatsItem, stats_pk(kind, target_id), "STATS")
        if item is None:
            return 0, 0
        return max(0, int(item.followers or 0)), max(0, int(item.following or 0))

    def block(self, block: Block) -> None:
        to_item(
            BlockItem,
            block,
            pk=member_pk(block.blocker_id),
            sk=f"BLOCK#{block.blocked_id}",
            gsi1pk=f"BLOCKERS#{block.blocked_id}",
            gsi1sk=block.blocker_id,
        ).save()

    def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        block = BlockItem(pk=member_pk(blocker_id), sk=f"BLOCK#{blocked_id}")
        return delete_if(block, BlockItem.pk.exists())  # False: there was no block

    def blocked_by(self, member_id: str) -> set[str]:
        """Members ``member_id`` blocked."""
        found = BlockItem.query(member_pk(member_id), BlockItem.sk.startswith("BLOCK#"))
        return {i.blocked_id for i in found if isinstance(i, BlockItem)}

    def has_blocked(self, blocker_id: str, blocked_id: str) -> bool:
        return get_item(BlockItem, member_pk(blocker_id), f"BLOCK#{blocked_id}") is not None

    def blockers_of(self, member_id: str) -> set[str]:
        """Members who blocked ``member_id``."""
        return {
            i.blocker_id for i in BlockItem.gsi1.query(f"BLOCKERS#{member_id}") if isinstance(i, BlockItem)
        }

    def list_blocks(self, member_id: str, limit: int, cursor: str | None) -> Page[Block]:
        items, nxt = self._paged(BlockItem, member_pk(member_id), "BLOCK#", limit, cursor)
        return Page([to_model(Block, i) for i in items], nxt)
