"""Wiring written once: what every handler module needs around its one domain call.

- :func:`factory`: a handler's client, repository or service, made on first use, kept for the warm
  container, and dropped by ``config.reset()`` (a harness that swaps the environment gets fresh ones,
  bound to the tables and queues it configures). Tests replace a factory on the handler module.
  :func:`lazy_factory` and :func:`from_setting` are the two common kinds: a class imported
  on first use, and an adapter bound to one setting.
- :func:`sqs_batch` and :func:`stream_batch`: a batch of SQS messages or DynamoDB stream records, one
  record at a time through Powertools' batch processor, answered with a partial batch response so that
  one poison record fails alone (the event source mapping has ``ReportBatchItemFailures``). Powertools
  calls the record handler with a keyword argument: its parameter must be named ``record``.
  :func:`sqs_handler` is a queue worker's whole ``lambda_handler`` (logger and metrics included),
  :func:`stream_handler` a stream consumer's.
- :func:`count` and :func:`log_outcome`: a handler's metrics, and the log line of what one domain
  event came to.

Powertools' batch utility is imported on first use: the HTTP functions import this module for
:func:`factory` and never process a batch.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from backchannel.core.config import get_config, on_reset
from backchannel.core.observability import logger, metrics

RecordHandler = Callable[[Any], Any]


def factory[T](make: Callable[[], T]) -> Callable[[], T]:
    """``make()`` on the first call, the same object on every later one, until ``config.reset()``.

    ``make`` is a class whose constructor takes no arguments
    (``store = wiring.factory(DynamoConferenceRepo)``) or, as a decorator, a function that builds the
    object (from settings, say, or with imports kept off the cold start). Nothing is made at import;
    the result keeps ``functools.cache``'s ``cache_clear``.
    """
    # A class goes in through a partial: functools would copy the class's namespace onto the wrapper.
    cached = functools.cache(functools.partial(make) if isinstance(make, type) else make)
    on_reset(cached.cache_clear)
    return cached


def lazy_factory(module: str, name: str) -> Callable[[], Any]:
    """A :func:`factory` of the class ``name`` of ``module``, imported on first use: the import stays
    off the cold start (``repo = wiring.lazy_factory("backchannel.circulation.dynamo", "...Repo")``)."""
    return factory(lambda: getattr(importlib.import_module(module), name)())


def from_setting[T](make: Callable[[str], T], setting: str) -> Callable[[], T]:
    """A :func:`factory` of ``make(value)``, ``value`` being a required setting (a queue's URL, say)."""
    return factory(lambda: make(get_config().require(setting)))


def process_batch(
    event_type: str,
    event: dict,
    context: Any,
    record_handler: RecordHandler,
    *,
    raise_on_entire_batch_failure: bool = True,
) -> dict:
    """Each record of a batch (``event_type``: Powertools' ``EventType`` name) through
    ``record_handler``; the records it raised on are reported as ``batchItemFailures``.
    ``raise_on_entire_batch_failure=False`` reports even a batch that failed whole item by item
    instead of raising."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(
            event_type=EventType[event_type], raise_on_entire_batch_failure=raise_on_entire_batch_failure
        ),
        context=context,
    )


# An SQS batch: the handler is given an ``SQSRecord``.
sqs_batch = functools.partial(process_batch, "SQS")
# A DynamoDB stream batch: the handler is given a ``DynamoDBRecord`` (Lambda retries from the first failed).
stream_batch = functools.partial(process_batch, "DynamoDBStreams")


def batch_handler(
    event_type: str, record_handler: RecordHandler, *, raise_on_entire_batch_failure: bool = True
) -> Callable:
    """A worker's whole handler: :func:`process_batch` of ``event_type`` through ``record_handler``,
    logs cleared, metrics flushed."""

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def handler(event: dict, context: Any) -> dict:
        return process_batch(
            event_type,
            event,
            context,
            record_handler,
            raise_on_entire_batch_failure=raise_on_entire_batch_failure,
        )

    return handler


# A queue worker's handler (the record handler gets an ``SQSRecord``) and a stream consumer's (a
# ``DynamoDBRecord``).
sqs_handler = functools.partial(batch_handler, "SQS")
stream_handler = functools.partial(batch_handler, "DynamoDBStreams")


def count(**values: int) -> None:
    """Each ``MetricName=value`` as a Count metric."""
    for name, value in values.items():
        metrics.add_metric(name=name, unit="Count", value=value)


def log_outcome(message: str, detail_type: str, detail: dict, outcome: Any, *fields: str) -> None:
    """Log what one domain event came to: its type, its id and the named ``fields`` of ``outcome``
    (the log line's location is the caller's)."""
    extra = {"detail_type": detail_type, "domain_event_id": detail.get("domainEventId")}
    fields_of = {name: getattr(outcome, name) for name in fields}
    logger.info(message, extra={**extra, **fields_of}, stacklevel=3)
