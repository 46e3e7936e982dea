"""Blocks hide: what a signed-in reader is shown leaves out the posts, notes, questions and collected
posts of every member they blocked. Pure: the block reader arrives as a parameter.

One direction: the blocker stops seeing the blocked member. The other direction cannot be kept (a
public event's posts are readable without signing in), and the fan-out already keeps packs from
travelling between the two sides of a block either way (``circulation.publishing``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Protocol

from backchannel.core.model import Caller


class BlockReader(Protocol):
    def blocked_by(self, member_id: str) -> set[str]:
        """Members ``member_id`` blocked (one Query of the blocker's partition)."""
        ...


def hidden_from(blocks: BlockReader | None, caller: Caller | None) -> frozenset[str]:
    """The authors the caller blocked (nobody for an anonymous reader or without a block reader)."""
    if blocks is None or caller is None:
        return frozenset()
    return frozenset(blocks.blocked_by(caller.member_id))


def without_blocked[T](
    items: Iterable[T], hidden: frozenset[str], author: Callable[[T], str | None] = attrgetter("author_id")
) -> list[T]:
    """``items`` without those whose author is in ``hidden`` (the order kept)."""
    items = list(items)
    if not hidden:
        return items
    return [i for i in items if author(i) not in hidden]
