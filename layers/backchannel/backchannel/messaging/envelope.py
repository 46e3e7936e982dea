"""Reading the EventBridge events that rules deliver to the workers' SQS queues."""

from __future__ import annotations

import json
from typing import Any


def domain_event(body: str) -> tuple[str, dict[str, Any]]:
    """The detail-type and detail of an EventBridge event carried as an SQS message body; a
    ValueError (so the record fails alone, and after its retries lands in the DLQ) otherwise."""
    envelope = json.loads(body)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("detail"), dict):
        raise ValueError("not an EventBridge event")
    return str(envelope.get("detail-type")), envelope["detail"]
