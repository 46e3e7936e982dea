"""Reading the main table's stream: a record's images as plain dicts, and when it happened.

The only place that knows DynamoDB's attribute-value JSON; the domain gets plain Python values
(numbers as ``int`` or ``float``, sets as Python sets).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

_deserializer = TypeDeserializer()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def image(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """A ``NewImage``/``OldImage`` (attribute-value JSON) as a plain dict; None when absent."""
    if not raw:
        return None
    return {name: _plain(_deserializer.deserialize(value)) for name, value in raw.items()}


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
