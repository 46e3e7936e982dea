"""Reading the main table's stream: a record's images as plain dicts, and when it happened.

The only place that knows DynamoDB's attribute-value JSON; the domain gets plain Python values
(numbers as ``int`` or ``float``, sets as Python sets). Read here rather than with boto3's
``TypeDeserializer``, whose import (all of boto3, s3transfer, multiprocessing) the stream consumers'
cold start would pay for a dozen lines.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


def _number(text: str) -> int | float:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _plain(attribute: dict[str, Any]) -> Any:
    """One attribute value (``{"S": "x"}``, ``{"N": "1"}``, ``{"M": {...}}``, ...) as a Python value."""
    [(kind, raw)] = attribute.items()
    if kind in ("S", "B"):
        return raw
    if kind == "N":
        return _number(raw)
    if kind == "BOOL":
        return bool(raw)
    if kind == "NULL":
        return None
    if kind == "M":
        return {name: _plain(value) for name, value in raw.items()}
    if kind == "L":
        return [_plain(value) for value in raw]
    if kind in ("SS", "BS"):
        return set(raw)
    if kind == "NS":
        return {_number(n) for n in raw}
    raise TypeError(f"not a DynamoDB attribute type: {kind}")


def image(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """A ``NewImage``/``OldImage`` (attribute-value JSON) as a plain dict; None when absent."""
    if not raw:
        return None
    return {name: _plain(value) for name, value in raw.items()}


def images(record: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The (old, new) item of one stream record as Lambda delivers it."""
    change = record.get("dynamodb") or {}
    return image(change.get("OldImage")), image(change.get("NewImage"))


def occurred_at(record: dict[str, Any]) -> str:
    """When the change was written (the record's ApproximateCreationDateTime), ISO 8601 UTC."""
    seconds = (record.get("dynamodb") or {}).get("ApproximateCreationDateTime")
    if seconds is None:
        raise ValueError("stream record without ApproximateCreationDateTime")
    moment = dt.datetime.fromtimestamp(float(seconds), dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_id(record: dict[str, Any]) -> str:
    """The record's stable identity: its ``eventID`` (the same on every redelivery)."""
    return str(record["eventID"])


def sequence_number(record: dict[str, Any]) -> str:
    return str((record.get("dynamodb") or {})["SequenceNumber"])
