"""What live push needs: the connections and their subscriptions (``ConnectionsRepo``) and a way to
send (``Sender``, which raises ``Throttled``)."""

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
