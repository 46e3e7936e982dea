"""Wiring written once: what every handler module needs around its one domain call.

- :func:`factory`: a handler's client, repository or service, made on first use, kept for the warm
  container, and dropped by ``config.reset()`` (a harness that swaps the environment gets fresh ones,
  bound to the tables and queues it configures). Tests replace a factory on the handler module.
- :func:`sqs_batch` and :func:`stream_batch`: a batch of SQS messages or DynamoDB stream records, one
  record at a time through Powertools' batch processor, answered with a partial batch response so that
  one poison record fails alone (the event source mapping has ``ReportBatchItemFailures``). Powertools
  calls the record handler with a keyword argument: its parameter must be named ``record``.

Powertools' batch utility is imported on first use: the HTTP functions import this module for
:func:`factory` and never process a batch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from backchannel.core.config import on_reset


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


def sqs_batch(
    event: dict,
    context: Any,
    record_handler: Callable[[Any], Any],
    *,
    raise_on_entire_batch_failure: bool = True,
) -> dict:
    """Each message of an SQS batch through ``record_handler`` (given an ``SQSRecord``); the messages
    it raised on are reported as ``batchItemFailures``. ``raise_on_entire_batch_failure=False``
    reports even a batch that failed whole item by item instead of raising."""
    return _process("SQS", event, context, record_handler, raise_on_entire_batch_failure)


def stream_batch(
    event: dict,
    context: Any,
    record_handler: Callable[[Any], Any],
    *,
    raise_on_entire_batch_failure: bool = True,
) -> dict:
    """Each record of a DynamoDB stream batch through ``record_handler`` (given a ``DynamoDBRecord``);
    the records it raised on are reported as ``batchItemFailures`` (Lambda retries from the first)."""
    return _process("DynamoDBStreams", event, context, record_handler, raise_on_entire_batch_failure)


def _process(
    event_type: str,
    event: dict,
    context: Any,
    record_handler: Callable[[Any], Any],
    raise_on_entire_batch_failure: bool,
) -> dict:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    return process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(
            event_type=EventType[event_type], raise_on_entire_batch_failure=raise_on_entire_batch_failure
        ),
        context=context,
    )
