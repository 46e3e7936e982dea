"""Sending to an SQS queue in batches of 10 (``SendMessageBatch``'s limit).

A batch may be accepted in part: the failed entries are sent again a bounded number of times (unless
SQS says the message itself is at fault), then :class:`QueueError` is raised, so that the caller fails
and is retried as a whole. Used by the delivery queue (circulation) and the live tick's chunks (live).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

BATCH = 10
ATTEMPTS = 3


class QueueError(Exception):
    pass


def send_batches(
    client: Any,
    queue_url: str,
    messages: list[dict[str, Any]],
    *,
    delay_s: int = 0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Send every message (as compact JSON) to ``queue_url``; returns the ``SendMessageBatch`` calls made."""
    calls = 0
    for start in range(0, len(messages), BATCH):
        calls += _send_batch(client, queue_url, messages[start : start + BATCH], delay_s, sleep)
    return calls


def _send_batch(client: Any, queue_url: str, messages: list[dict], delay_s: int, sleep) -> int:
    entries = {
        str(i): {
            "Id": str(i),
            "MessageBody": json.dumps(message, separators=(",", ":")),
            **({"DelaySeconds": delay_s} if delay_s else {}),
        }
        for i, message in enumerate(messages)
    }
    for attempt in range(ATTEMPTS):
        answer = client.send_message_batch(QueueUrl=queue_url, Entries=list(entries.values()))
        failed = answer.get("Failed") or []
        if not failed:
            return attempt + 1
        entries = {f["Id"]: entries[f["Id"]] for f in failed if f["Id"] in entries}
        if any(f.get("SenderFault") for f in failed):
            break  # our message is at fault: sending it again will not help
        sleep(0.05 * 2**attempt)
    raise QueueError(f"{len(entries)} message(s) could not be enqueued")
