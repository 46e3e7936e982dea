"""Pages of a Query: a ``limit + 1`` read trimmed to ``limit`` items and an opaque cursor."""

from __future__ import annotations

from backchannel.core.dynamo import cursor as cursors


def page(items: list, limit: int, key_names: tuple[str, ...]) -> tuple[list, str | None]:
    """Trim a ``limit + 1`` read to ``limit`` items and a cursor (null when nothing follows)."""
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    return items[:limit], cursors.encode({name: getattr(last, name) for name in key_names})


GSI_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")
