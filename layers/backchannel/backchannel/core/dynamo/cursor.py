"""Opaque pagination cursors, one codec for every list: base64url of compact JSON, checked on the way
back in. Two kinds of position are carried:

- ``decode_key``: a DynamoDB ExclusiveStartKey (the last key of one Query's page);
- ``decode_positions``: positions in several partitions read together (a sharded feed, a note list
  over several visibilities), each a sort key, ``None`` (not started) or ``EXHAUSTED``.

Either raises a 400 naming the field when the cursor is not one of this very list.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from backchannel.core.dynamo.merge import EXHAUSTED
from backchannel.core.errors import BadRequest

_POSITION = re.compile(r"^[0-9A-Za-z#._\-]{1,80}$")


def encode(value: dict) -> str:
    raw = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _load(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None


def _refuse(field: str) -> BadRequest:
    return BadRequest(f"{field} is not valid for this list: start again without it", field=field)


def decode_key(cursor: str | None, *, names: tuple[str, ...], partition: tuple[str, str]) -> dict | None:
    """The DynamoDB ExclusiveStartKey of ``cursor``; a 400 if it is not a cursor of this very list."""
    if cursor is None:
        return None
    key = _load(cursor)
    if (
        not isinstance(key, dict)
        or set(key) != set(names)
        or not all(isinstance(v, str) and 0 < len(v) <= 1024 for v in key.values())
        or key.get(partition[0]) != partition[1]
    ):
        raise _refuse("cursor")
    return {name: {"S": value} for name, value in key.items()}


def decode_positions(cursor: str | None, names: set[str], *, field: str = "cursor") -> dict | None:
    """Positions in the partitions ``names`` (a subset of them); a 400 naming ``field`` otherwise."""
    if cursor is None:
        return None
    value = _load(cursor)
    valid = (
        isinstance(value, dict)
        and value
        and set(value) <= names
        and all(
            v is None or v == EXHAUSTED or (isinstance(v, str) and _POSITION.match(v)) for v in value.values()
        )
    )
    if not valid:
        raise _refuse(field)
    return value
