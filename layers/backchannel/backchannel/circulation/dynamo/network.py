"""Follows, follow counts and blocks."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import DeleteError, DoesNotExist, TransactWriteError
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
from backchannel.core.dynamo.conditions import condition_failed, connection, failed_conditions
from backchannel.core.model import Page


class NetworkRepo(RepoBase):
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
            pk=member_pk(follow.follower_id),
            sk=f"FOLLOW#{follow.target_type}#{follow.target_id}",
            gsi1pk=f"FOLLOWERS#{follow.target_type}#{follow.target_id}",
            gsi1sk=follow.follower_id,
            follower_id=follow.follower_id,
            target_type=follow.target_type,
            target_id=follow.target_id,
            created_at=follow.created_at,
        )
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(item, condition=FollowItem.pk.does_not_exist())
                self._count(tx, follow.follower_id, follow.target_type, follow.target_id, 1)
            return True
        except TransactWriteError as err:
            if failed_conditions(err):
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
            with TransactWrite(connection=connection()) as tx:
                tx.delete(item, condition=FollowItem.pk.exists())
                self._count(tx, follower_id, kind, target_id, -1)
            return True
        except TransactWriteError as err:
            if failed_conditions(err):
                return False
            raise

    def get_follow(self, follower_id: str, kind: str, target_id: str) -> Follow | None:
        try:
            item = FollowItem.get(member_pk(follower_id), f"FOLLOW#{kind}#{target_id}")
        except DoesNotExist:
            return None
        return to_follow(item) if isinstance(item, FollowItem) else None

    def list_follows(self, member_id: str, limit: int, cursor: str | None) -> Page[Follow]:
        items, nxt = self._paged(FollowItem, member_pk(member_id), "FOLLOW#", limit, cursor)
        return Page([to_follow(i) for i in items], nxt)

    def followers(self, kind: str, target_id: str) -> Iterator[str]:
        """Every follower's id (paged under the hood: the fan-out reads thousands)."""
        for item in FollowItem.gsi1.query(f"FOLLOWERS#{kind}#{target_id}", page_size=1000):
            if isinstance(item, FollowItem):
                yield item.follower_id

    def follow_counts(self, kind: str, target_id: str) -> tuple[int, int]:
        try:
            item = FollowStatsItem.get(stats_pk(kind, target_id), "STATS")
        except DoesNotExist:
            return 0, 0
        return max(0, int(item.followers or 0)), max(0, int(item.following or 0))

    def block(self, block: Block) -> None:
        BlockItem(
            pk=member_pk(block.blocker_id),
            sk=f"BLOCK#{block.blocked_id}",
            gsi1pk=f"BLOCKERS#{block.blocked_id}",
            gsi1sk=block.blocker_id,
            blocker_id=block.blocker_id,
            blocked_id=block.blocked_id,
            created_at=block.created_at,
        ).save()

    def unblock(self, blocker_id: str, blocked_id: str) -> bool:
        try:
            BlockItem(pk=member_pk(blocker_id), sk=f"BLOCK#{blocked_id}").delete(
                condition=BlockItem.pk.exists()
            )
            return True
        except DeleteError as err:
            if condition_failed(err):  # there was no block
                return False
            raise

    def blocked_by(self, member_id: str) -> set[str]:
        """Members ``member_id`` blocked."""
        found = BlockItem.query(member_pk(member_id), BlockItem.sk.startswith("BLOCK#"))
        return {i.blocked_id for i in found if isinstance(i, BlockItem)}

    def has_blocked(self, blocker_id: str, blocked_id: str) -> bool:
        try:
            item = BlockItem.get(member_pk(blocker_id), f"BLOCK#{blocked_id}")
        except DoesNotExist:
            return False
        return isinstance(item, BlockItem)

    def blockers_of(self, member_id: str) -> set[str]:
        """Members who blocked ``member_id``."""
        return {
            i.blocker_id for i in BlockItem.gsi1.query(f"BLOCKERS#{member_id}") if isinstance(i, BlockItem)
        }

    def list_blocks(self, member_id: str, limit: int, cursor: str | None) -> Page[Block]:
        items, nxt = self._paged(BlockItem, member_pk(member_id), "BLOCK#", limit, cursor)
        return Page([Block(i.blocker_id, i.blocked_id, i.created_at) for i in items], nxt)
