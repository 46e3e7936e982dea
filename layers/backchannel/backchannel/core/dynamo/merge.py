"""Reading several partitions as one list, newest first, with a cursor that remembers each partition's
place. Used where one list is spread over partitions: a session's notes by visibility today, an
event's sharded feed next."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
EXHAUSTED = ""  # a partition with nothing left to read; None: not read yet

Fetch = Callable[[str | None, int], list[T]]
"""Up to ``n`` items of one partition, newest first, all strictly older than the given sort key."""


def merge_desc[T](
    fetchers: dict[str, Fetch],
    key: Callable[[T], str],
    limit: int,
    positions: dict[str, str | None] | None,
    *,
    descending: bool = True,
) -> tuple[list[T], dict[str, str | None] | None]:
    """One page of the merged list and the positions to continue from (None on the last page).

    Each partition is read once per page (``limit + 1`` items, to know whether more follow), so a page
    costs one query per partition that still has items, and nothing is skipped or repeated across
    pages: every partition resumes strictly below the last item shown, and one that has nothing left
    is not read again.

    ``descending=False`` merges lists kept in ascending order (each fetcher then returns items
    strictly *after* the key it is given, smallest first): a sharded ranking, say.
    """
    start = positions is None
    current = (
        {name: None for name in fetchers} if start else {n: positions.get(n, EXHAUSTED) for n in fetchers}
    )
    candidates: list[tuple[str, str, T]] = []
    has_more: dict[str, bool] = {}
    for name, fetch in fetchers.items():
        position = current[name]
        if position == EXHAUSTED:
            continue
        items = fetch(position, limit + 1)
        has_more[name] = len(items) > limit
        candidates.extend((key(item), name, item) for item in items[:limit])
    candidates.sort(key=lambda c: c[0], reverse=descending)
    page, rest = candidates[:limit], candidates[limit:]
    # Every item newer than the page's last key is on this page (the merge takes the newest first), so
    # each partition resumes strictly below that key, including partitions that had nothing on the
    # page: resuming those "from the top" would show items that arrived after the first page.
    boundary = page[-1][0] if page else None
    following: dict[str, str | None] = {}
    for name in fetchers:
        left = current[name] != EXHAUSTED and (has_more.get(name, False) or any(c[1] == name for c in rest))
        following[name] = boundary if left else EXHAUSTED
    done = all(v == EXHAUSTED for v in following.values())
    return [c[2] for c in page], None if done else following
