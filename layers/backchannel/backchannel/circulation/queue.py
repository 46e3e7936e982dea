"""The delivery queue (SQS): jobs go out in batches of 10 (``SendMessageBatch``'s limit), and a failed
attempt's message is made visible again after its back-off.

A batch may be accepted in part: the failed entries are sent again a bounded number of times, then
:class:`QueueError` is raised, so the fan-out fails and is retried as a whole (deliveries already
enqueued are harmless: each is done once however often it arrives).
"""

from __future__ import annotations

import json
import time
from typing import Any

from backchannel.circulation.model import Job
from backchannel.core import aws_clients

BATCH = 10
_ATTEMPTS = 3


class QueueError(Exception):
    pass


def sqs_client() -> Any:
    return aws_clients.client("sqs")


class DeliveryQueue:
    """Sends jobs to the delivery queue; counts its calls (the fan-out benchmark reads ``calls``)."""

    def __init__(self, queue_url: str, client: Any = None, sleep=time.sleep) -> None:
        self.queue_url = queue_url
        self._client = client
        self._sleep = sleep
        self.calls = 0

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = sqs_client()
        return self._client

    def send(self, jobs: list[Job]) -> None:
        for start in range(0, len(jobs), BATCH):
            self._send_batch(jobs[start : start + BATCH])

    def _send_batch(self, jobs: list[Job]) -> None:
        entries = {
            str(i): {"Id": str(i), "MessageBody": json.dumps(job.to_message(), separators=(",", ":"))}
            for i, job in enumerate(jobs)
        }
        for attempt in range(_ATTEMPTS):
            self.calls += 1
            answer = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=list(entries.values()))
            failed = answer.get("Failed") or []
            if not failed:
                return
            entries = {f["Id"]: entries[f["Id"]] for f in failed if f["Id"] in entries}
            if any(f.get("SenderFault") for f in failed):
                break  # our message is at fault: sending it again will not help
            self._sleep(0.05 * 2**attempt)
        raise QueueError(f"{len(entries)} deliveries could not be enqueued")

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        """Make a message that failed visible again in ``seconds`` (its back-off)."""
        self.client.change_message_visibility(
            QueueUrl=self.queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(seconds, 43200)),
        )
