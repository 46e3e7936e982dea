"""The stream router's work: a batch of the main table's stream records -> domain events on the bus.

Records are handled in stream order. Every record's events are derived first (pure), then published
together in chunks of 10 (:class:`EventPublisher` stops after a chunk that keeps failing). A record
fails when it cannot be derived (and then every record after it, not attempted) or when any of its
events was not published. Lambda retries from the lowest failed sequence number, so nothing later
overtakes a failed change for good: records after it are replayed too, and what they had published is
published again with the same event ids (consumers deduplicate by ``domainEventId``).

Nothing here logs item content: only item types, counts and error codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from backchannel.core.observability import logger
from backchannel.messaging import stream
from backchannel.messaging.changes import DomainEvent
from backchannel.messaging.domain_events import RULES, derive, item_type

if TYPE_CHECKING:  # the live-push worker derives events without the bus
    from backchannel.messaging.bus import EventPublisher


class RecordFailed(Exception):
    """A record whose events did not all reach the bus."""


class AfterEarlierFailure(RecordFailed):
    """Not attempted: an earlier record of the batch could not be derived, and order is kept."""


@dataclass
class Routed:
    """The outcome of one batch: failures by sequence number, and how many events were published."""

    failures: dict[str, Exception] = field(default_factory=dict)
    published: int = 0
    derived: int = 0

    def check(self, sequence_number: str) -> None:
        """Raise the record's failure, if it failed (the batch processor's record handler)."""
        error = self.failures.get(sequence_number)
        if error is not None:
            raise error


def events_of(record: dict[str, Any]) -> list[DomainEvent]:
    """The domain events one stream record (as Lambda delivers it) stands for, in order; raises when
    the record cannot be read. The same ids on every redelivery, whoever derives them (the router for
    the bus, the live-push worker on its own subscription)."""
    old, new = stream.images(record)
    kind = item_type(old, new)
    if kind not in RULES:
        logger.debug("no domain events for this item type", extra={"item_type": kind})
    return derive(old, new, record_id=stream.record_id(record), at=stream.occurred_at(record))


def route(records: Sequence[dict[str, Any]], publisher: EventPublisher) -> Routed:
    """Derive and publish the events of ``records`` (in stream order); the failures are in the result."""
    outcome = Routed()
    staged: list[tuple[str, list[DomainEvent]]] = []
    for index, record in enumerate(records):
        sequence = stream.sequence_number(record)
        try:
            events = events_of(record)
        except Exception as err:  # a poison record: it fails (bisect, retries, then the DLQ)
            # The error's type only: a message could quote the item.
            logger.error(
                "stream record not understood",
                extra={"sequence_number": sequence, "error": type(err).__name__},
            )
            outcome.failures[sequence] = RecordFailed(
                f"record {sequence} not understood: {type(err).__name__}"
            )
            for later in records[index + 1 :]:
                later_sequence = stream.sequence_number(later)
                outcome.failures[later_sequence] = AfterEarlierFailure(
                    f"record {later_sequence} follows a failed record"
                )
            break
        staged.append((sequence, events))

    events = [event for _, group in staged for event in group]
    outcome.derived = len(events)
    unpublished = {e.id for e in publisher.publish(events)} if events else set()
    outcome.published = len(events) - len(unpublished)
    for sequence, group in staged:
        lost = [e for e in group if e.id in unpublished]
        if lost:
            codes = sorted({publisher.errors.get(e.id, "Unknown") for e in lost})
            outcome.failures[sequence] = RecordFailed(
                f"{len(lost)} of {len(group)} event(s) of record {sequence} not published: {', '.join(codes)}"
            )
    return outcome
