"""Sending live messages: ``post_to_connection`` on the WebSocket API's management endpoint
(:class:`ApiGatewaySender`), and handing the chunks of a big tick's audience to parallel invocations
through the live chunks queue (:class:`QueueTickChunks`, :func:`chunk_job`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from backchannel.core import aws_clients, queues
from backchannel.core.config import get_config
from backchannel.live.store import Throttled

_GONE = {"GoneException"}
_THROTTLED = {"LimitExceededException", "TooManyRequestsException", "ThrottlingException"}


def management_client() -> Any:
    """The ``apigatewaymanagementapi`` client of this function's ``WEBSOCKET_ENDPOINT``. The SDK's own
    retries are off: :class:`ApiGatewaySender` backs off itself, a bounded number of times."""
    cfg = get_config()
    return aws_clients.client(
        "apigatewaymanagementapi",
        endpoint_url=cfg.require("websocket_endpoint"),
        retries=0,
        max_pool_connections=max(10, cfg.live_push_workers),  # one connection per fan-out thread
    )


class ApiGatewaySender:
    """:class:`backchannel.live.rules.Sender` through API Gateway: 410 Gone -> False (the caller
    forgets the connection); 429 -> back off and retry, then :class:`Throttled`."""

    def __init__(
        self,
        client: Any = None,
        *,
        attempts: int | None = None,
        backoff_s: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._sleep = sleep

    def send(self, connection_id: str, message: dict[str, Any]) -> bool:
        from botocore.exceptions import ClientError

        cfg = get_config()
        attempts = max(1, self._attempts or cfg.push_attempts)
        backoff = cfg.push_backoff_s if self._backoff_s is None else self._backoff_s
        client = self._client or management_client()
        data = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
        for attempt in range(attempts):
            try:
                client.post_to_connection(ConnectionId=connection_id, Data=data)
                return True
            except ClientError as err:
                code = str(err.response.get("Error", {}).get("Code", ""))
                status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if code in _GONE or status == 410:
                    return False
                if code not in _THROTTLED and status != 429:
                    raise
                if attempt + 1 < attempts:
                    self._sleep(backoff * (2**attempt))
        raise Throttled(f"connection {connection_id} throttled {attempts} times")


CHUNK = "tick-chunk"


class QueueTickChunks:
    """:class:`backchannel.live.store.TickChunks` through SQS (the live chunks queue, which the push
    worker reads too): one message per chunk, ``{"kind": "tick-chunk", "message", "connections",
    "attempt"}``; a later attempt waits ``attempt - 1`` seconds in the queue first."""

    def __init__(
        self, queue_url: str, client: Any = None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.queue_url = queue_url
        self._client = client
        self._sleep = sleep

    def send(self, message: dict[str, Any], chunks: list[list[str]], *, attempt: int = 1) -> None:
        jobs = [
            {"kind": CHUNK, "message": message, "connections": chunk, "attempt": attempt}
            for chunk in chunks
            if chunk
        ]
        client = self._client or aws_clients.client("sqs")
        queues.send_batches(client, self.queue_url, jobs, delay_s=min(attempt - 1, 900), sleep=self._sleep)


def chunk_job(body: str) -> tuple[dict[str, Any], list[str], int]:
    """The message, connection ids and attempt of a chunk job (an SQS body); ValueError if it is not one."""
    job = json.loads(body)
    if not isinstance(job, dict) or job.get("kind") != CHUNK:
        raise ValueError("not a tick chunk")
    message, connections, attempt = job.get("message"), job.get("connections"), job.get("attempt", 1)
    if not isinstance(message, dict) or not isinstance(connections, list) or not isinstance(attempt, int):
        raise ValueError("a tick chunk needs a message, connections and an attempt")
    return message, [str(c) for c in connections], attempt
