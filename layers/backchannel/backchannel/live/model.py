"""Live topics, connections, subscriptions and the messages pushed to them. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EVENT = "event"


SESSION = "session"


@dataclass(frozen=True)
class Topic:
    kind: str  # "event" | "session"
    id: str

    @property
    def key(self) -> str:
        return f"{self.kind}#{self.id}"

    def to_dict(self) -> dict[str, str]:
        return {f"{self.kind}Id": self.id}


@dataclass(frozen=True)
class Connection:
    connection_id: str
    member_id: str | None
    connected_at: str
    expires_at: int  # epoch seconds (the table's TTL attribute)


@dataclass(frozen=True)
class Subscription:
    connection_id: str
    topic: str  # Topic.key
    event_id: str
    member_id: str | None
    insider: bool  # an organiser or attendee of the event when subscribing
    expires_at: int


@dataclass(frozen=True)
class LiveMessage:
    message: dict[str, Any]
    event_id: str
    session_id: str | None

    @property
    def topics(self) -> list[str]:
        keys = [Topic(EVENT, self.event_id).key]
        if self.session_id:
            keys.append(Topic(SESSION, self.session_id).key)
        return keys


@dataclass
class PushOutcome:
    sent: int = 0
    gone: int = 0
    expired: int = 0
    withheld: int = 0
    ticks: int = 0
    throttled: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TickPart:
    """What one push worker adds to a topic's next tick: its id, how many new posts it holds, and the
    ``(seq, id)`` of the newest few of them (the most a tick can show)."""

    id: str
    count: int
    newest: list[tuple[str, str]]
