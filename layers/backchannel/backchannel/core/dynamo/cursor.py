"""Opaque pagination cursors: the last key of a page, checked on the way back in."""

from __future__ import annotations

import base64
import binascii
import json

from backchannel.core.errors import BadRequest


def encode(key: dict[str, str]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, *, names: tuple[str, ...], partition: tuple[str, str]) -> dict | None:
    """The DynamoDB ExclusiveStartKey of ``cursor``; a 400 if it is not a cursor of this very list."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if (
        not isinstance(key, dict)
        or set(key) != set(names)
        or not all(isinstance(v, str) and 0 < len(v) <= 1024 for v in key.values())
        or key.get(partition[0]) != partition[1]
    ):
        raise BadRequest("cursor is not valid for this list: start again without it", field="cursor")
    return {name: {"S": value} for name, value in key.items()}
