"""The WebSocket API (follow events and sessions live): $connect (optional ?token=), subscribe,
unsubscribe, $disconnect, and $default (an unknown action). See ``backchannel.live.socket``."""

from __future__ import annotations

from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import wiring
from backchannel.core.observability import logger, metrics
from backchannel.live import socket
from backchannel.live.connections import DynamoConnectionsRepo

store = wiring.factory(DynamoConferenceRepo)
connections = wiring.factory(DynamoConnectionsRepo)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return socket.handle(event, store(), connections())
