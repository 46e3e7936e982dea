"""Settings of the live functions (the WebSocket API and the live-push worker).

Read like :mod:`backchannel.config`: lazily, once, cached, and forgotten on ``config.reset()``.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from backchannel.config import on_reset


@dataclass(frozen=True)
class LiveConfig:
    connections_table_name: str | None
    websocket_endpoint: str | None
    # A connection and its subscriptions live this long after the last activity (API Gateway closes
    # a WebSocket after 2 hours anyway); DynamoDB's TTL removes what $disconnect did not.
    connection_ttl_s: int = 2 * 3600
    max_subscriptions: int = 50
    # post_to_connection when API Gateway throttles (429): attempts and the first back-off.
    push_attempts: int = 3
    push_backoff_s: float = 0.2

    def require(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            raise RuntimeError(f"configuration {name.upper()} is not set for this function")
        return value


@functools.cache
def get_live_config() -> LiveConfig:
    env = os.environ
    return LiveConfig(
        connections_table_name=env.get("CONNECTIONS_TABLE_NAME"),
        websocket_endpoint=env.get("WEBSOCKET_ENDPOINT"),
    )


on_reset(get_live_config.cache_clear)
