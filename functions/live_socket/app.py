"""The WebSocket API (follow events and sessions live): $connect (optional ?token=), subscribe,
unsubscribe, $disconnect, and $default (an unknown action). See ``backchannel.live.socket``."""

from __future__ import annotations

import functools

from backchannel.data.store import DynamoStore
from backchannel.live import socket
from backchannel.live.connections import DynamoConnections
from backchannel.observability import logger, metrics


@functools.cache
def store() -> DynamoStore:
    return DynamoStore()


@functools.cache
def connections() -> DynamoConnections:
    return DynamoConnections()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return socket.handle(event, store(), connections())
