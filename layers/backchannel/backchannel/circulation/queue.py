"""The delivery queue (SQS): jobs go out in batches of 10 (``SendMessageBatch``'s limit), and a failed
attempt's message is made visible again after its back-off.

A batch may be accepted in part: the failed entries are sent again a bounded number of times, then
:class:`QueueError` is raised (``core.queues``), so the fan-out fails and is retried as a whole
(deliveries already enqueued are harmless: each is done once however often it arrives).
"""

from __future__ import annotations

import time
from typing import Any

from backchannel.circulation.model import Job
from backchannel.core import aws_clients, queues
from backchannel.core.queues import BATCH, QueueError

__all__ = ["BATCH", "DeliveryQueue", "QueueError", "sqs_client"]


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
        messages = [job.to_message() for job in jobs]
        self.calls += queues.send_batches(self.client, self.queue_url, messages, sleep=self._sleep)

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        """Make a message that failed visible again in ``seconds`` (its back-off)."""
        self.client.change_message_visibility(
            QueueUrl=self.queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(seconds, 43200)),
        )
