"""What live push needs: the connections and their subscriptions (``ConnectionsRepo``), a way to
send (``Sender``, which raises ``Throttled``), and a way to hand parts of a big tick's audience to
parallel invocations (``TickChunks``)."""

from __future__ import annotations

from typing import Any, Protocol

from backchannel.live.model import Connection, Subscription, TickPart


class ConnectionsRepo(Protocol):
    def put_connection(self, connection: Connection) -> None: ...
    def get_connection(self, connection_id: str) -> Connection | None: ...
    def subscriptions_of(self, connection_id: str) -> list[Subscription]: ...
    def put_subscription(self, subscription: Subscription) -> None: ...
    def delete_subscription(self, connection_id: str, topic: str) -> None: ...
    def refresh(self, connection_id: str, expires_at: int) -> None: ...
    def delete_connection(self, connection_id: str) -> None: ...
    def subscribers(self, topic: str) -> list[Subscription]: ...
    def tick_interval(self, topic: str) -> float | None:
        """The topic's tick interval as its last tick set it (None: never set)."""
        ...

    def set_tick_interval(self, topic: str, interval_s: float) -> None: ...

    def add_to_tick(self, topic: str, end_ms: int, part: TickPart) -> bool:
        """Add ``part`` to the topic's slot ending at ``end_ms``; False if that slot is closed."""
        ...

    def claim_tick(self, topic: str, end_ms: int) -> bool:
        """Become the one sender of that slot's tick; False if another worker is."""
        ...

    def close_tick(self, topic: str, end_ms: int) -> list[TickPart]:
        """Close the slot (no part may join it any more) and return every part it holds."""
        ...


class Throttled(Exception):
    """API Gateway kept answering 429 (LimitExceeded) for a connection."""


class Sender(Protocol):
    def send(self, connection_id: str, message: dict[str, Any]) -> bool:
        """Post the message; False if the connection is gone (410). Raises :class:`Throttled`."""
        ...


class TickChunks(Protocol):
    def send(self, message: dict[str, Any], chunks: list[list[str]], *, attempt: int = 1) -> None:
        """Have ``message`` sent to each chunk of connection ids by a parallel invocation (attempt
        ``attempt`` of those connections: a later one waits a little first). Raises if it could not."""
        ...
