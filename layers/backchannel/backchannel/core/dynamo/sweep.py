"""Where a member's things live: every item of a table that names them (a key, an attribute, a nested
value), read page by page with ``Scan``. Only workers on a queue sweep (erasure, export), never a
request path: a member's posts and questions have no index by member, so a sweep is the one way to
find all of them. Each page is a checkpoint (the last key, as JSON), so a sweep can resume."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

_plain = TypeDeserializer()


def names(value: Any, member_id: str) -> bool:
    """Whether ``value`` (an item, or any value in it) mentions ``member_id``."""
    if isinstance(value, str):
        return member_id in value
    if isinstance(value, dict):
        return any(names(v, member_id) for v in value.values())
    if isinstance(value, list | set | tuple):
        return any(names(v, member_id) for v in value)
    return False


def deserialized(raw: dict[str, Any]) -> dict[str, Any]:
    """A raw (typed) item as plain Python values."""
    return {k: _plain.deserialize(v) for k, v in raw.items()}


class Page:
    """One page of a sweep: ``items`` that name the member as (raw, plain) pairs, and ``cursor``, where
    the next page starts (None: the table, or its segment, is done)."""

    def __init__(self, items: list[tuple[dict, dict]], cursor: str | None) -> None:
        self.items, self.cursor = items, cursor


def sweep_page(
    ddb: Any,
    table: str,
    member_id: str,
    cursor: str | None,
    *,
    limit: int,
    segment: tuple[int, int] | None = None,
) -> Page:
    """The next page (``limit`` items read) of ``table`` (or of ``segment`` = (n, of) of it)."""
    args: dict[str, Any] = {"TableName": table, "Limit": limit, "ConsistentRead": True}
    if cursor:
        args["ExclusiveStartKey"] = json.loads(cursor)
    if segment is not None:
        args["Segment"], args["TotalSegments"] = segment
    page = ddb.scan(**args)
    found = []
    for raw in page.get("Items", []):
        item = deserialized(raw)
        if names(item, member_id):
            found.append((raw, item))
    last = page.get("LastEvaluatedKey")
    return Page(found, json.dumps(last) if last else None)


def sweep(ddb: Any, table: str, member_id: str, *, limit: int, segment=None) -> Iterator[dict]:
    """Every item of ``table`` (or of one segment of it) that names the member, as plain values."""
    cursor = None
    while True:
        page = sweep_page(ddb, table, member_id, cursor, limit=limit, segment=segment)
        yield from (item for _, item in page.items)
        cursor = page.cursor
        if cursor is None:
            return
