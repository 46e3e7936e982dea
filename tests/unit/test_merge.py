"""Merging partitions into one newest-first list: no duplicates and no gaps across pages, whatever the
partitions hold and whatever page size is asked for."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from backchannel.core.dynamo.merge import merge_desc


def fetcher(items: list[str], descending: bool = True):
    ordered = sorted(items, reverse=descending)

    def fetch(beyond: str | None, n: int) -> list[str]:
        return [i for i in ordered if beyond is None or (i < beyond if descending else i > beyond)][:n]

    return fetch


@settings(max_examples=200, deadline=None)  # a shared CI machine must not make it flaky
@given(
    partitions=st.lists(st.sets(st.integers(0, 10_000), max_size=30), min_size=1, max_size=5),
    limit=st.integers(1, 12),
    descending=st.booleans(),
)
def test_paging_through_merged_partitions_yields_everything_once_in_order(partitions, limit, descending):
    """Newest first (a feed) or smallest first (a sharded ranking, ``descending=False``)."""
    # distinct keys across partitions, as ids are
    seen_keys: set[int] = set()
    data = {}
    for n, keys in enumerate(partitions):
        mine = sorted(keys - seen_keys)
        seen_keys |= set(mine)
        data[f"p{n}"] = [f"{k:05d}" for k in mine]
    fetchers = {name: fetcher(items, descending) for name, items in data.items()}

    shown, positions, pages = [], None, 0
    while True:
        page, positions = merge_desc(fetchers, lambda x: x, limit, positions, descending=descending)
        assert len(page) <= limit
        shown += page
        pages += 1
        if positions is None:
            break
        json.dumps(positions)  # a cursor must serialise
        assert pages < 1000
    everything = sorted((i for items in data.values() for i in items), reverse=descending)
    assert shown == everything


def test_newer_items_written_between_pages_do_not_disturb_older_pages():
    items = {"a": [f"{i:03d}" for i in range(0, 20, 2)], "b": [f"{i:03d}" for i in range(1, 20, 2)]}

    def live(name: str):
        def fetch(before: str | None, n: int) -> list[str]:
            return [i for i in sorted(items[name], reverse=True) if before is None or i < before][:n]

        return fetch

    fetchers = {name: live(name) for name in items}
    first, positions = merge_desc(fetchers, lambda x: x, 5, None)
    items["a"].append("100")  # arrives after the first page
    rest = []
    while positions is not None:
        page, positions = merge_desc(fetchers, lambda x: x, 5, positions)
        rest += page
    assert first + rest == [f"{i:03d}" for i in range(19, -1, -1)]
