"""Publishing domain events to the EventBridge bus.

``PutEvents`` takes at most 10 entries and may accept some and reject others: a non-zero
``FailedEntryCount`` is a failure of those entries, which are retried a bounded number of times and
then handed back to the caller, never just logged. Chunks go out in order, and after a chunk that
still has failures nothing later is sent (a later change must not overtake an earlier one that failed;
the caller's retry sends them again, in order).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from backchannel.core import aws_clients
from backchannel.core.config import get_config, on_reset
from backchannel.core.observability import logger
from backchannel.messaging.changes import DomainEvent

MAX_ENTRIES = 10  # PutEvents' limit per call


def events_client() -> Any:
    """The EventBridge client: config's region; the endpoint from the SDK's own settings."""
    return aws_clients.client("events")


def entry(event: DomainEvent, bus_name: str) -> dict[str, Any]:
    """The ``PutEvents`` entry of one domain event."""
    return {
        "EventBusName": bus_name,
        "Source": event.source,
        "DetailType": event.detail_type,
        "Detail": json.dumps(event.detail, separators=(",", ":"), sort_keys=True, default=str),
        "Resources": list(event.resources),
    }


class EventPublisher:
    """Puts domain events on the bus; :meth:`publish` returns those that did not get there."""

    def __init__(
        self,
        client: Any = None,
        bus_name: str | None = None,
        *,
        attempts: int = 3,
        backoff_s: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._bus_name = bus_name
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self._sleep = sleep
        self.errors: dict[str, str] = {}  # domainEventId -> last error code of the events that failed

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = events_client()
        return self._client

    @property
    def bus_name(self) -> str:
        if self._bus_name is None:
            self._bus_name = get_config().require("event_bus_name")
        return self._bus_name

    def publish(self, events: Sequence[DomainEvent]) -> list[DomainEvent]:
        """Publish in order, in chunks of 10; returns the events not published (failed or not sent)."""
        self.errors = {}
        events = list(events)
        for start in range(0, len(events), MAX_ENTRIES):
            failed = self._put_chunk(events[start : start + MAX_ENTRIES])
            if failed:
                rest = events[start + MAX_ENTRIES :]
                for event in rest:
                    self.errors[event.id] = "NotSent"
                logger.warning(
                    "domain events not published",
                    extra={
                        "failed": len(failed),
                        "not_sent": len(rest),
                        "error_codes": sorted({self.errors[e.id] for e in failed}),
                    },
                )
                return failed + rest
        return []

    def _put_chunk(self, chunk: list[DomainEvent]) -> list[DomainEvent]:
        pending = chunk
        for attempt in range(1, self.attempts + 1):
            pending = self._put(pending)
            if not pending:
                return []
            if attempt < self.attempts:
                self._sleep(self.backoff_s * 2 ** (attempt - 1))
        return pending

    def _put(self, chunk: list[DomainEvent]) -> list[DomainEvent]:
        """One PutEvents call; returns the entries it did not accept, with their error codes noted."""
        try:
            response = self.client.put_events(Entries=[entry(e, self.bus_name) for e in chunk])
        except (ClientError, BotoCoreError) as err:  # the SDK already retried the call itself
            code = err.response["Error"]["Code"] if isinstance(err, ClientError) else type(err).__name__
            for event in chunk:
                self.errors[event.id] = code
            return list(chunk)
        if not response.get("FailedEntryCount"):
            return []
        failed = []
        # The result entries are in the order of the request entries.
        for event, result in zip(chunk, response.get("Entries") or [], strict=False):
            if result.get("ErrorCode") or not result.get("EventId"):
                self.errors[event.id] = result.get("ErrorCode") or "Unknown"
                failed.append(event)
        if len(response.get("Entries") or []) < len(chunk):  # malformed answer: the rest are unknown
            for event in chunk[len(response.get("Entries") or []) :]:
                self.errors[event.id] = "NoResult"
                failed.append(event)
        return failed


@functools.cache
def default_publisher() -> EventPublisher:
    """The production publisher (the configured bus, the lazily created client)."""
    return EventPublisher()


on_reset(default_publisher.cache_clear)
