"""Event-source pumps: the part of Lambda that moto does not emulate.

moto stores DynamoDB streams, SQS queues and EventBridge rules, but never runs a function: nothing
reads a stream into a consumer, no queue is polled, no rule or schedule invokes its target. The
pumps do that for the local runtime, reading their wiring from each function's SAM ``Events`` (via
:func:`local.provision.provision`) and invoking the in-process runtimes of :mod:`local.lambdas`:

* ``DynamoDB`` events: a stream poller per shard, in order, with Lambda's batch semantics:
  ``ReportBatchItemFailures`` (retry from the lowest failed sequence number), whole-batch failure on
  an exception, ``BisectBatchOnFunctionError``, ``MaximumRetryAttempts`` and an ``OnFailure``
  destination that receives AWS's ``DDBStreamBatchInfo`` record. ``FilterCriteria`` is honoured.
* ``SQS`` events: receive a batch, delete what succeeded (all, or all but the reported
  ``batchItemFailures``), leave the rest to come back after the visibility timeout. The queue's own
  ``RedrivePolicy`` moves a message to its DLQ after ``maxReceiveCount`` receives: moto does that
  on receive, as SQS does, so the pump does not duplicate it.
* ``EventBridgeRule`` / ``CloudWatchEvent`` events: moto matches patterns and delivers to SQS
  targets only, so each such event gets a local-only "tap" queue as the target of a rule with the
  event's pattern; the pump reads the tap and invokes the function with the EventBridge envelope.
* ``Schedule`` / ``ScheduleV2`` events: fired by the pump's clock (see
  :mod:`local.pumps_schedule`), or at once with :meth:`Pumps.fire_schedule`.

EventBridge and schedules invoke a function *asynchronously* in AWS, so a function error is handled
by Lambda's asynchronous retry (the function's ``EventInvokeConfig.MaximumRetryAttempts``, default
2) and then the function's ``EventInvokeConfig`` ``OnFailure`` destination or its ``DeadLetterQueue``.
A rule's own ``RetryPolicy``/``DeadLetterConfig`` only covers failures to *deliver* to Lambda
(throttling, a missing permission), which cannot happen in-process; the pumps say so in the log
rather than pretend function errors land there.

Each source is driven by a background thread of its own (:func:`start_pumps`) that sleeps until
work arrives: moto runs in this process, and its stream and queue writes ring the source's doorbell
(:mod:`local.pumps_wakeup`), so a record is picked up as soon as it is written rather than on the
next round of polls. What no write announces (a failed message visible again, a schedule due) is
found within ``poll_interval``. The caller may also drive the sources with :meth:`Pumps.run_once`
and :meth:`Pumps.drain`, which tests use to be deterministic. A lock per source makes the two safe
to mix: a drain holds every source's lock and runs them itself while the threads wait.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from local.moto_rollback import install as keep_streams_on_rollback
from local.pumps_events import (
    RecordFilter,
    async_failure_record,
    dynamodb_record,
    eventbridge_event,
    json_path,
    scheduled_event,
    sqs_record,
    stream_failure_record,
)
from local.pumps_schedule import Schedule, parse_schedule
from local.pumps_wakeup import DOORBELL, queue_key, stream_key
from local.pumps_wakeup import install as install_doorbell

if TYPE_CHECKING:
    from local.provision import FunctionSpec, LocalStack

__all__ = ["Pumps", "start_pumps"]

log = logging.getLogger("local.pumps")

# AWS's default MaximumRetryAttempts for streams is -1: retry until the record expires from the
# stream (24 hours), which locally would spin on a poison record forever. Cap it.
LOCAL_MAX_STREAM_RETRIES = 10
# Lambda's asynchronous invocations retry at most twice (and that is the default).
ASYNC_MAX_RETRIES = 2
# SQS returns at most 10 messages per receive; larger batches take several receives.
_SQS_RECEIVE_MAX = 10
_DEFAULT_BATCH = {"DynamoDB": 100, "SQS": 10}
_SHARD_REFRESH_SECONDS = 5.0


class Runtime(Protocol):
    """What the pumps need from :class:`local.lambdas.FunctionRuntime`."""

    def invoke(self, event: Any) -> Any: ...


def _is_on(value: Any, default: bool = True) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "disabled", "0")
    return bool(value)


def _safe_name(text: str, limit: int) -> str:
    """A resource name within AWS's character set and length (hashed tail when too long)."""
    text = re.sub(r"[^A-Za-z0-9_-]", "-", text)
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[: limit - 9]}-{digest}"


@dataclass
class _Outcome:
    """One invocation: the handler's return value, or the exception it raised."""

    ok: bool
    result: Any = None
    error: BaseException | None = None


class _Context:
    """What every source shares: the stack, the runtimes, the AWS clients, the invoke logging and the
    pumps' settings (the schedules' clock, the SQS retry visibility: see :class:`Pumps`)."""

    def __init__(
        self,
        local_stack: LocalStack,
        runtimes: dict[str, Runtime],
        *,
        clock: Callable[[], datetime] | None = None,
        sqs_retry_visibility: int | None = None,
        on_invoke: Callable[[str, Any, float, float], None] | None = None,
    ) -> None:
        self.stack = local_stack
        self.on_invoke = on_invoke
        self.runtimes = runtimes
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sqs_retry_visibility = sqs_retry_visibility
        self.region = local_stack.region
        self.account = local_stack.stack.account_id
        self.stack_name = local_stack.stack.stack_name
        self._clients: dict[str, Any] = {}
        self._queue_urls: dict[str, str] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.stack.client(service)
        return self._clients[service]

    def queue_url(self, queue_arn: str) -> str:
        if queue_arn not in self._queue_urls:
            _, _, _, _, account, name = queue_arn.split(":", 5)
            self._queue_urls[queue_arn] = self.client("sqs").get_queue_url(
                QueueName=name, QueueOwnerAWSAccountId=account
            )["QueueUrl"]
        return self._queue_urls[queue_arn]

    def invoke(self, function: str, event: Any, *, source: str, size: int) -> _Outcome:
        """Invoke in-process, log one line, and turn a handler exception into an outcome."""
        started = time.monotonic()
        try:
            result = self.runtimes[function].invoke(event)
        except Exception as exc:  # the handler's error is data here, never the pump's crash
            self._observe(function, event, started)
            log.warning(
                "%s <- %s: %d record(s): failed after %.0f ms: %s: %s",
                function,
                source,
                size,
                (time.monotonic() - started) * 1000,
                type(exc).__name__,
                exc,
                exc_info=True,
            )
            return _Outcome(ok=False, error=exc)
        self._observe(function, event, started)
        outcome = "ok"
        if isinstance(result, dict) and result.get("batchItemFailures"):
            outcome = f"{len(result['batchItemFailures'])} item failure(s) reported"
        log.info(
            "%s <- %s: %d record(s): %s in %.0f ms",
            function,
            source,
            size,
            outcome,
            (time.monotonic() - started) * 1000,
        )
        return _Outcome(ok=True, result=result)

    def _observe(self, function: str, event: Any, started: float) -> None:
        if self.on_invoke is not None:
            try:
                self.on_invoke(function, event, started, time.monotonic())
            except Exception:  # an observer's bug must not look like the handler's failure
                log.exception("on_invoke observer failed")

    def send_to_destination(
        self, arn: str, payload: Any, *, attributes: dict[str, Any] | None = None
    ) -> None:
        """Deliver a failure record to an SQS queue or SNS topic, as Lambda's destinations do."""
        service = arn.split(":")[2]
        body = json.dumps(payload, default=str)
        if service == "sqs":
            self.client("sqs").send_message(
                QueueUrl=self.queue_url(arn), MessageBody=body, MessageAttributes=attributes or {}
            )
        elif service == "sns":
            self.client("sns").publish(TopicArn=arn, Message=body)
        else:
            log.error("failure destination %s is not SQS or SNS; record dropped: %s", arn, body)
            return
        log.info("failure record sent to %s", arn)

    def function_properties(self, function: str) -> dict[str, Any]:
        """The function's resolved ``EventInvokeConfig`` and ``DeadLetterQueue`` (Globals included).

        :class:`FunctionSpec` carries what the runtime needs; the async failure handling lives in
        these two properties, read straight from the template.
        """
        stack = self.stack.stack
        globals_ = (stack.template.get("Globals") or {}).get("Function") or {}
        own = stack.resources[function].get("Properties") or {}
        found: dict[str, Any] = {}
        for key in ("EventInvokeConfig", "DeadLetterQueue"):
            value = own.get(key, globals_.get(key))
            if value is not None:
                found[key] = stack.resolve(value)
        return found


class _Source:
    """One event source mapping (or rule, or schedule) of one function."""

    kind = ""
    # the doorbell (local.pumps_wakeup) that moto rings when work arrives; None: found by the timeout
    wake_key: str | None = None

    def __init__(self, ctx: _Context, spec: FunctionSpec, event_name: str, props: dict[str, Any]) -> None:
        self.ctx = ctx
        self.spec = spec
        self.function = spec.logical_id
        self.event_name = event_name
        self.props = props

    @property
    def label(self) -> str:
        return f"{self.kind} {self.event_name}"

    def poll(self) -> int:
        """Process what is available now (at most one batch per shard or queue); records handled."""
        raise NotImplementedError

    def busy(self) -> bool:
        """Whether work is known to be on its way (retries pending, messages in flight)."""
        return False


# ---------------------------------------------------------------------------------------------
# Asynchronous invocation (EventBridge rules and schedules)
# ---------------------------------------------------------------------------------------------
class _AsyncInvoker:
    """Lambda's asynchronous invocation: retry a failing event, then hand it to the failure config.

    Retries happen at once rather than after AWS's one and two minute back-off, so a local flow
    finishes in seconds.
    """

    def __init__(self, ctx: _Context, spec: FunctionSpec, source: str) -> None:
        self.ctx = ctx
        self.spec = spec
        self.source = source
        props = ctx.function_properties(spec.logical_id)
        config = props.get("EventInvokeConfig") or {}
        retries = config.get("MaximumRetryAttempts", ASYNC_MAX_RETRIES)
        self.max_retries = max(0, min(int(retries), ASYNC_MAX_RETRIES))
        on_failure = ((config.get("DestinationConfig") or {}).get("OnFailure")) or {}
        self.on_failure = on_failure.get("Destination")
        dead_letter = props.get("DeadLetterQueue") or {}
        self.dead_letter = dead_letter.get("TargetArn")

    @property
    def has_failure_target(self) -> bool:
        return bool(self.on_failure or self.dead_letter)

    def invoke(self, event: Any) -> _Outcome:
        attempts = 0
        while True:
            attempts += 1
            outcome = self.ctx.invoke(self.spec.logical_id, event, source=self.source, size=1)
            if outcome.ok or attempts > self.max_retries:
                break
        if not outcome.ok:
            assert outcome.error is not None
            self._give_up(event, outcome.error, attempts)
        return outcome

    def _give_up(self, event: Any, error: BaseException, attempts: int) -> None:
        log.error("%s <- %s: giving up after %d attempt(s)", self.spec.logical_id, self.source, attempts)
        if self.on_failure:
            record = async_failure_record(
                event, function_arn=self.spec.arn, invoke_count=attempts, error=error
            )
            self.ctx.send_to_destination(self.on_failure, record)
        if self.dead_letter:
            # A function DLQ gets the original event, with the error in message attributes.
            attributes = {
                "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                "ErrorMessage": {
                    "DataType": "String",
                    "StringValue": str(error)[:1000] or type(error).__name__,
                },
            }
            self.ctx.send_to_destination(self.dead_letter, event, attributes=attributes)
        if not self.has_failure_target:
            log.error(
                "%s has no OnFailure destination or DeadLetterQueue: event dropped", self.spec.logical_id
            )


def _warn_rule_failure_config(
    spec: FunctionSpec, event_name: str, props: dict[str, Any], invoker: _AsyncInvoker
) -> None:
    if ("DeadLetterConfig" in props or "RetryPolicy" in props) and not invoker.has_failure_target:
        log.warning(
            "%s.%s: the rule's RetryPolicy/DeadLetterConfig only catch failed deliveries to Lambda; "
            "function errors go to the function's EventInvokeConfig OnFailure or DeadLetterQueue, "
            "and this function has neither",
            spec.logical_id,
            event_name,
        )


# ---------------------------------------------------------------------------------------------
# DynamoDB streams
# ---------------------------------------------------------------------------------------------
@dataclass
class _Batch:
    records: list[dict[str, Any]]
    retries: int = 0
    invocations: int = 0


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    pending: deque[_Batch] = field(default_factory=deque)
    last_sequence: str | None = None


class _StreamSource(_Source):
    """A DynamoDB stream event source mapping, one ordered lane per shard.

    A failed batch stays at the head of its shard's lane until it succeeds or its retries run out,
    so nothing later in the shard overtakes it (what AWS guarantees). Bisecting replaces the head
    with its two halves; halving is free, only failures of a batch count as retries.
    """

    kind = "dynamodb"

    def __init__(self, ctx: _Context, spec: FunctionSpec, event_name: str, props: dict[str, Any]) -> None:
        super().__init__(ctx, spec, event_name, props)
        self.stream_arn: str = props["Stream"]
        self.wake_key = stream_key(self.stream_arn.split("/")[1])  # arn:...:table/<name>/stream/<label>
        self.batch_size = int(props.get("BatchSize", _DEFAULT_BATCH["DynamoDB"]))
        self.starting_position = str(props.get("StartingPosition", "LATEST")).upper()
        retries = int(props.get("MaximumRetryAttempts", -1))
        if retries < 0 or retries > LOCAL_MAX_STREAM_RETRIES:
            log.info(
                "%s.%s: MaximumRetryAttempts %d capped at %d locally",
                self.function,
                event_name,
                retries,
                LOCAL_MAX_STREAM_RETRIES,
            )
            retries = LOCAL_MAX_STREAM_RETRIES
        self.max_retries = retries
        self.bisect = _is_on(props.get("BisectBatchOnFunctionError"), default=False)
        self.report_failures = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure")) or {}
        self.on_failure: str | None = destination.get("Destination")
        self.filter = RecordFilter(props.get("FilterCriteria"))
        self.shards: dict[str, _Shard] = {}
        self._streams = ctx.client("dynamodbstreams")
        self._shards_seen_at = 0.0
        self._refresh_shards(initial=True)

    @property
    def label(self) -> str:
        return f"dynamodb {self.stream_arn.split('/')[1]}"

    def _refresh_shards(self, *, initial: bool = False) -> None:
        """Pick up the stream's shards; those found after start are new, so read them from the start."""
        self._shards_seen_at = time.monotonic()
        description = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self.shards:
                continue
            position = self.starting_position if initial else "TRIM_HORIZON"
            iterator = self._streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=position
            )["ShardIterator"]
            self.shards[shard_id] = _Shard(shard_id, iterator)

    def busy(self) -> bool:
        return any(shard.pending for shard in self.shards.values())

    def poll(self) -> int:
        if time.monotonic() - self._shards_seen_at > _SHARD_REFRESH_SECONDS:
            self._refresh_shards()
        handled = 0
        for shard in list(self.shards.values()):
            if not shard.pending:
                consumed = self._fetch(shard)
                if not shard.pending:
                    # Records the filter dropped still count, so a drain keeps reading past them.
                    handled += consumed
                    continue
            batch = shard.pending[0]
            handled += len(batch.records)
            self._process(shard, batch)
        return handled

    def _fetch(self, shard: _Shard) -> int:
        """Read the next batch into the shard's lane; returns how many records were read."""
        if shard.iterator is None:
            return 0
        try:
            response = self._streams.get_records(ShardIterator=shard.iterator, Limit=self.batch_size)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExpiredIteratorException":
                raise
            shard.iterator = self._resume_iterator(shard)
            return 0
        shard.iterator = response.get("NextShardIterator")
        raw_records = response.get("Records", [])
        if not raw_records:
            # A shard replaced under an old iterator (a table put back by moto without
            # local.moto_rollback's care) no longer grows: a fresh iterator after the last record
            # read follows the live one.
            if shard.last_sequence is not None:
                shard.iterator = self._resume_iterator(shard)
            return 0
        shard.last_sequence = raw_records[-1]["dynamodb"]["SequenceNumber"]
        records = [
            dynamodb_record(r, stream_arn=self.stream_arn, region=self.ctx.region) for r in raw_records
        ]
        kept = [r for r in records if self.filter.passes(r)]
        if len(kept) < len(records):
            log.debug(
                "%s <- %s: %d record(s) filtered out", self.function, self.label, len(records) - len(kept)
            )
        if kept:
            shard.pending.append(_Batch(kept))
        return len(records)

    def _resume_iterator(self, shard: _Shard) -> str:
        if shard.last_sequence is None:
            kind, extra = self.starting_position, {}
        else:
            kind, extra = "AFTER_SEQUENCE_NUMBER", {"SequenceNumber": shard.last_sequence}
        return self._streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard.shard_id, ShardIteratorType=kind, **extra
        )["ShardIterator"]

    def _process(self, shard: _Shard, batch: _Batch) -> None:
        batch.invocations += 1
        outcome = self.ctx.invoke(
            self.function, {"Records": batch.records}, source=self.label, size=len(batch.records)
        )
        first_failed = self._first_failure(batch, outcome)
        shard.pending.popleft()
        if first_failed is None:
            return
        # Everything before the first failure is checkpointed; the rest is retried in order.
        remaining = batch.records[first_failed:]
        if self.bisect and len(remaining) > 1:
            middle = len(remaining) // 2
            shard.pending.appendleft(_Batch(remaining[middle:], batch.retries, batch.invocations))
            shard.pending.appendleft(_Batch(remaining[:middle], batch.retries, batch.invocations))
            log.info("%s <- %s: bisecting %d record(s)", self.function, self.label, len(remaining))
            return
        if batch.retries < self.max_retries:
            shard.pending.appendleft(_Batch(remaining, batch.retries + 1, batch.invocations))
            return
        log.error(
            "%s <- %s: %d record(s) skipped after %d retries",
            self.function,
            self.label,
            len(remaining),
            batch.retries,
        )
        if self.on_failure:
            record = stream_failure_record(
                remaining,
                shard_id=shard.shard_id,
                stream_arn=self.stream_arn,
                function_arn=self.spec.arn,
                invoke_count=batch.invocations,
                error="Unhandled" if not outcome.ok else None,
            )
            self.ctx.send_to_destination(self.on_failure, record)

    def _first_failure(self, batch: _Batch, outcome: _Outcome) -> int | None:
        """Index of the first record to retry, or None when the batch succeeded.

        As in AWS: an exception fails the whole batch; with ``ReportBatchItemFailures``, processing
        resumes at the lowest reported sequence number, and an identifier that is empty or not in
        the batch makes the whole batch a failure.
        """
        if not outcome.ok:
            return 0
        if not self.report_failures or not isinstance(outcome.result, dict):
            return None
        failures = outcome.result.get("batchItemFailures")
        if not failures:
            return None
        sequence = [r["dynamodb"]["SequenceNumber"] for r in batch.records]
        indices = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not identifier or identifier not in sequence:
                return 0
            indices.append(sequence.index(identifier))
        return min(indices)


# ---------------------------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------------------------
class _QueueReader:
    """Receives from one queue with every attribute, as Lambda's poller does."""

    def __init__(self, ctx: _Context, queue_arn: str) -> None:
        self.ctx = ctx
        self.queue_arn = queue_arn
        self.queue_url = ctx.queue_url(queue_arn)
        self.sqs = ctx.client("sqs")

    def receive(self, limit: int) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < limit:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(_SQS_RECEIVE_MAX, limit - len(messages)),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            )
            received = response.get("Messages", [])
            messages.extend(received)
            if len(received) < _SQS_RECEIVE_MAX:
                break
        return messages

    def delete(self, receipt_handles: list[str]) -> None:
        self._in_batches(self.sqs.delete_message_batch, receipt_handles)

    def make_visible_in(self, receipt_handles: list[str], seconds: int) -> None:
        self._in_batches(self.sqs.change_message_visibility_batch, receipt_handles, VisibilityTimeout=seconds)

    def _in_batches(self, call: Callable[..., Any], receipt_handles: list[str], **entry: Any) -> None:
        """``call`` (an SQS ``*_batch`` action) on the messages, ten entries at a time (SQS's limit)."""
        for start in range(0, len(receipt_handles), 10):
            chunk = receipt_handles[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": handle, **entry} for i, handle in enumerate(chunk)]
            call(QueueUrl=self.queue_url, Entries=entries)

    def in_flight(self) -> bool:
        """Messages waiting, invisible (being retried) or delayed: the queue is not yet quiet."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return any(int(value) for value in attributes.values())


class _QueueSource(_Source):
    """A source that reads a queue (``self.reader``): busy while the queue holds messages."""

    reader: _QueueReader

    @property
    def wake_key(self) -> str:  # type: ignore[override]
        return queue_key(self.reader.queue_arn.rsplit(":", 1)[-1])

    def busy(self) -> bool:
        return self.reader.in_flight()


class _SqsSource(_QueueSource):
    """An SQS event source mapping.

    Failed messages are simply not deleted: they come back after the queue's visibility timeout,
    and SQS (moto, here) moves them to the queue's dead-letter queue once they have been received
    ``maxReceiveCount`` times. ``retry_visibility`` (seconds) shortens that wait locally.
    """

    kind = "sqs"

    def __init__(self, ctx: _Context, spec: FunctionSpec, event_name: str, props: dict[str, Any]) -> None:
        super().__init__(ctx, spec, event_name, props)
        self.reader = _QueueReader(ctx, props["Queue"])
        self.batch_size = int(props.get("BatchSize", _DEFAULT_BATCH["SQS"]))
        self.report_failures = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
        self.filter = RecordFilter(props.get("FilterCriteria"))
        self.retry_visibility = ctx.sqs_retry_visibility

    @property
    def label(self) -> str:
        return f"sqs {self.reader.queue_arn.rsplit(':', 1)[-1]}"

    def poll(self) -> int:
        messages = self.reader.receive(self.batch_size)
        if not messages:
            return 0
        records = [sqs_record(m, queue_arn=self.reader.queue_arn, region=self.ctx.region) for m in messages]
        if self.filter:
            # Lambda deletes messages its filter drops: they are not for this function.
            dropped = [r["receiptHandle"] for r in records if not self.filter.passes(r)]
            records = [r for r in records if self.filter.passes(r)]
            self.reader.delete(dropped)
        if not records:
            return len(messages)
        outcome = self.ctx.invoke(self.function, {"Records": records}, source=self.label, size=len(records))
        failed = self._failed_ids(records, outcome)
        self.reader.delete([r["receiptHandle"] for r in records if r["messageId"] not in failed])
        retry = [r["receiptHandle"] for r in records if r["messageId"] in failed]
        if retry and self.retry_visibility is not None:
            self.reader.make_visible_in(retry, self.retry_visibility)
        return len(messages)

    def _failed_ids(self, records: list[dict[str, Any]], outcome: _Outcome) -> set[str]:
        """Message ids to leave on the queue (AWS's rules, as for streams, keyed by messageId)."""
        every = {r["messageId"] for r in records}
        if not outcome.ok:
            return every
        if not self.report_failures or not isinstance(outcome.result, dict):
            return set()
        failures = outcome.result.get("batchItemFailures") or []
        failed: set[str] = set()
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not identifier or identifier not in every:
                return every
            failed.add(identifier)
        return failed


# ---------------------------------------------------------------------------------------------
# EventBridge rules
# ---------------------------------------------------------------------------------------------
class _RuleSource(_QueueSource):
    """An ``EventBridgeRule`` event: a moto rule with the event's pattern, targeting a tap queue.

    moto matches the pattern (prefix, suffix, anything-but, numeric, exists, wildcard, $or ...)
    and writes each matching event's JSON to the tap; the pump completes the envelope and invokes
    the function once per event, asynchronously as EventBridge does.
    """

    kind = "eventbridge"

    def __init__(self, ctx: _Context, spec: FunctionSpec, event_name: str, props: dict[str, Any]) -> None:
        super().__init__(ctx, spec, event_name, props)
        bus = props.get("EventBusName") or "default"
        self.bus = bus.rsplit("/", 1)[-1] if bus.startswith("arn:") else bus
        base = f"{ctx.stack_name}-local-tap-{spec.logical_id}-{event_name}"
        self.rule_name = _safe_name(base, 64)
        queue_name = _safe_name(base, 80)
        sqs = ctx.client("sqs")
        queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events = ctx.client("events")
        pattern = props.get("Pattern") or {}
        self.rule_arn = events.put_rule(
            Name=self.rule_name,
            EventBusName=self.bus,
            EventPattern=pattern if isinstance(pattern, str) else json.dumps(pattern),
            State="ENABLED",
            Description=f"local only: delivers {event_name} events to {spec.logical_id}",
        )["RuleArn"]
        target: dict[str, Any] = {"Id": "local-tap", "Arn": queue_arn}
        if "InputTransformer" in props:
            target["InputTransformer"] = props["InputTransformer"]  # moto applies it
        events.put_targets(Rule=self.rule_name, EventBusName=self.bus, Targets=[target])
        self.reader = _QueueReader(ctx, queue_arn)
        self.invoker = _AsyncInvoker(ctx, spec, self.label)
        _warn_rule_failure_config(spec, event_name, props, self.invoker)

    @property
    def label(self) -> str:
        return f"eventbridge {self.bus}/{self.event_name}"

    def poll(self) -> int:
        messages = self.reader.receive(_SQS_RECEIVE_MAX)
        for message in messages:
            event = eventbridge_event(message["Body"], account=self.ctx.account, region=self.ctx.region)
            if "Input" in self.props:
                event = json.loads(self.props["Input"])
            elif "InputPath" in self.props:
                event = json_path(event, self.props["InputPath"])
            self.invoker.invoke(event)
            # Retries were handled by the async invoker: the tap never redelivers.
            self.reader.delete([message["ReceiptHandle"]])
        return len(messages)


# ---------------------------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------------------------
class _ScheduleSource(_Source):
    """A ``Schedule`` (EventBridge rule) or ``ScheduleV2`` (EventBridge Scheduler) event.

    Fires on the pump's clock; missed fire times are not replayed (neither service backfills).
    Without ``Input`` the function gets EventBridge's "Scheduled Event".
    """

    kind = "schedule"

    def __init__(self, ctx: _Context, spec: FunctionSpec, event_name: str, props: dict[str, Any]) -> None:
        super().__init__(ctx, spec, event_name, props)
        self.v2 = props.get("_type") == "ScheduleV2"
        expression = props.get("ScheduleExpression") if self.v2 else props.get("Schedule")
        if not expression:
            raise ValueError(f"{spec.logical_id}.{event_name}: no schedule expression")
        self.schedule: Schedule = parse_schedule(expression, props.get("ScheduleExpressionTimezone"))
        state = props.get("State")
        self.enabled = _is_on(props.get("Enabled"), default=True) and _is_on(state, default=True)
        self.clock = ctx.clock
        self.anchor = self.clock()
        self.next_fire = self.schedule.next_after(self.anchor, anchor=self.anchor)
        name = props.get("Name") or _safe_name(f"{ctx.stack_name}-{spec.logical_id}-{event_name}", 64)
        if self.v2:
            group = props.get("GroupName") or "default"
            self.arn = f"arn:aws:scheduler:{ctx.region}:{ctx.account}:schedule/{group}/{name}"
        else:
            self.arn = f"arn:aws:events:{ctx.region}:{ctx.account}:rule/{name}"
        self.invoker = _AsyncInvoker(ctx, spec, self.label)
        _warn_rule_failure_config(spec, event_name, props, self.invoker)

    @property
    def label(self) -> str:
        return f"schedule {self.event_name} {self.schedule.expression}"

    def event(self, when: datetime) -> Any:
        if "Input" in self.props:
            raw = self.props["Input"]
            return json.loads(raw) if isinstance(raw, str) else raw
        return scheduled_event(rule_arn=self.arn, account=self.ctx.account, region=self.ctx.region, when=when)

    def fire(self, when: datetime | None = None) -> _Outcome:
        return self.invoker.invoke(self.event(when or self.clock()))

    def poll(self) -> int:
        now = self.clock()
        if not self.enabled or self.next_fire is None or now < self.next_fire:
            return 0
        due = self.next_fire
        self.next_fire = self.schedule.next_after(now, anchor=self.anchor)
        self.fire(due)
        return 1


# ---------------------------------------------------------------------------------------------
# The pumps
# ---------------------------------------------------------------------------------------------
_STREAM_TYPES = ("DynamoDB",)
_QUEUE_TYPES = ("SQS",)
_RULE_TYPES = ("EventBridgeRule", "CloudWatchEvent")
_SCHEDULE_TYPES = ("Schedule", "ScheduleV2")


class Pumps:
    """Every event source of the stack's functions, driven together.

    Build it after :func:`local.provision.provision` and before producing events (the EventBridge
    taps only see events put after they exist, and ``LATEST`` streams start here). Functions missing
    from ``runtimes`` are skipped, so a test can pump a subset.

    ``sqs_retry_visibility`` (seconds) replaces a queue's visibility timeout for messages that
    failed, so a local retry need not wait the (deliberately long) deployed timeout; None keeps
    AWS's behaviour. ``clock`` is what the schedules read as "now" (tests move it by hand).
    ``poll_interval`` (seconds) is how long a started source with nothing to do waits for its
    doorbell before it looks anyway. ``on_invoke``, if given, is called after every invocation with
    the function's logical id, the event, and the monotonic times it started and ended (benchmarks
    time the hops with it).
    """

    def __init__(
        self,
        local_stack: LocalStack,
        runtimes: dict[str, Runtime],
        *,
        poll_interval: float = 0.2,
        sqs_retry_visibility: int | None = None,
        clock: Callable[[], datetime] | None = None,
        on_invoke: Callable[[str, Any, float, float], None] | None = None,
    ) -> None:
        self.poll_interval = poll_interval
        keep_streams_on_rollback()  # a cancelled transaction streams nothing (local.moto_rollback)
        self._ctx = _Context(
            local_stack, runtimes, clock=clock, sqs_retry_visibility=sqs_retry_visibility, on_invoke=on_invoke
        )
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._bells: list[tuple[str | None, threading.Event]] = []
        self.sources: list[_Source] = []
        for spec in local_stack.functions.values():
            if spec.logical_id not in runtimes:
                if any(
                    e.get("Type") in _STREAM_TYPES + _QUEUE_TYPES + _RULE_TYPES + _SCHEDULE_TYPES
                    for e in spec.events.values()
                ):
                    log.info("%s has event sources but no runtime: not pumped", spec.logical_id)
                continue
            for event_name, event in spec.events.items():
                source = self._source(spec, event_name, event)
                if source is not None:
                    self.sources.append(source)
        groups = [
            local_stack.physical_id(logical_id)
            for logical_id, resource in (local_stack.stack.template.get("Resources") or {}).items()
            if resource.get("Type") == "AWS::Scheduler::ScheduleGroup"
            and logical_id in local_stack.stack.physical_ids
        ]
        if groups:  # schedules the application itself creates while running (one-time, at(...))
            from local.pumps_scheduler import RuntimeSchedules

            self.sources.append(RuntimeSchedules(self._ctx.client, groups, self._ctx.clock))  # type: ignore[arg-type]
        # one lock per source: its thread and a caller's run_once/drain take turns
        self._locks = [threading.RLock() for _ in self.sources]
        log.info("pumping %d event source(s): %s", len(self.sources), ", ".join(self.describe()))

    def _source(self, spec: FunctionSpec, event_name: str, event: dict[str, Any]) -> _Source | None:
        kind = event.get("Type")
        props = dict(event.get("Properties") or {})
        if kind in _STREAM_TYPES + _QUEUE_TYPES and not _is_on(props.get("Enabled"), default=True):
            log.info("%s.%s is disabled in the template", spec.logical_id, event_name)
            return None
        if kind in _STREAM_TYPES:
            return _StreamSource(self._ctx, spec, event_name, props)
        if kind in _QUEUE_TYPES:
            return _SqsSource(self._ctx, spec, event_name, props)
        if kind in _RULE_TYPES:
            if not _is_on(props.get("State"), default=True) or not _is_on(props.get("Enabled"), default=True):
                log.info("%s.%s is disabled in the template", spec.logical_id, event_name)
                return None
            return _RuleSource(self._ctx, spec, event_name, props)
        if kind in _SCHEDULE_TYPES:
            return _ScheduleSource(self._ctx, spec, event_name, {**props, "_type": kind})
        return None  # HttpApi and friends belong to the gateway

    def describe(self) -> list[str]:
        return [f"{source.function} <- {source.label}" for source in self.sources]

    # -- synchronous API --------------------------------------------------------------------------
    def run_once(self) -> int:
        """Give every source one turn; returns how many records were handed to functions."""
        return sum(self._turn(index) for index in range(len(self.sources)))

    def _turn(self, index: int) -> int:
        """One turn of one source, under its lock; records handed to its function."""
        source = self.sources[index]
        with self._locks[index]:
            try:
                return source.poll()
            except Exception:
                log.exception("%s <- %s: the pump failed (not the handler)", source.function, source.label)
                return 0

    @contextlib.contextmanager
    def _all_sources(self) -> Any:
        """Every source's lock, in order (the threads hold one at a time, so this cannot deadlock)."""
        with contextlib.ExitStack() as held:
            for lock in self._locks:
                held.enter_context(lock)
            yield

    def drain(self, timeout: float = 30.0) -> int:
        """Run until every source is quiet: nothing to read, no retry pending, nothing in flight.

        Waits out SQS visibility timeouts of failed messages, so their retries and dead-lettering
        happen before it returns. Schedules are not waited for. Raises :class:`TimeoutError` naming
        the busy sources if they are not quiet within ``timeout`` seconds; returns records handled.
        """
        deadline = time.monotonic() + timeout
        total = 0
        with self._all_sources():
            while True:
                handled = self.run_once()
                total += handled
                if handled == 0:
                    busy = [f"{s.function} <- {s.label}" for s in self.sources if self._busy(s)]
                    if not busy:
                        return total
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"pumps not quiet after {timeout} s: {', '.join(busy)}")
                    time.sleep(min(self.poll_interval, 0.05))
                elif time.monotonic() > deadline:
                    raise TimeoutError(f"pumps still processing after {timeout} s ({total} records)")

    @staticmethod
    def _busy(source: _Source) -> bool:
        try:
            return source.busy()
        except Exception:  # a queue deleted under us is not work in flight; say so and move on
            log.exception("%s <- %s: cannot tell whether work is in flight", source.function, source.label)
            return False

    def fire_schedule(self, function_logical_id: str, event_name: str | None = None) -> Any:
        """Fire a function's schedule now (as its rule or scheduler would); returns the handler's result.

        ``event_name`` picks one schedule when the function has several. A handler error follows
        the asynchronous retry and failure handling, then is raised to the caller.
        """
        candidates = [
            s
            for s in self.sources
            if isinstance(s, _ScheduleSource)
            and s.function == function_logical_id
            and (event_name is None or s.event_name == event_name)
        ]
        if not candidates:
            raise LookupError(f"{function_logical_id} has no pumped schedule {event_name or ''}".rstrip())
        if len(candidates) > 1:
            names = ", ".join(s.event_name for s in candidates)
            raise LookupError(f"{function_logical_id} has several schedules ({names}): name one")
        with self._locks[self.sources.index(candidates[0])]:
            outcome = candidates[0].fire()
        if not outcome.ok:
            assert outcome.error is not None
            raise outcome.error
        return outcome.result

    # -- background threads -----------------------------------------------------------------------
    def start(self) -> Pumps:
        """Drive every source from a daemon thread of its own until :meth:`stop`."""
        if self._threads:
            return self
        install_doorbell()
        self._stop.clear()
        for index, source in enumerate(self.sources):
            key = getattr(source, "wake_key", None)
            bell = DOORBELL.listen(key) if key else threading.Event()
            self._bells.append((key, bell))
            thread = threading.Thread(target=self._loop, args=(index, bell), name="local-pumps", daemon=True)
            self._threads.append(thread)
        for thread in self._threads:
            thread.start()
        return self

    def _loop(self, index: int, bell: threading.Event) -> None:
        """One source: look for work; when there was none, sleep until its doorbell (or the interval)."""
        while not self._stop.is_set():
            bell.clear()  # before looking: a write from now on rings again
            if self._turn(index) == 0:
                bell.wait(self.poll_interval)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the threads and wait for them (safe to call twice, or without :meth:`start`)."""
        self._stop.set()
        threads, self._threads = self._threads, []
        bells, self._bells = self._bells, []
        for key, bell in bells:
            if key:
                DOORBELL.forget(key, bell)
            bell.set()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> Pumps:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(Exception):
            self.stop()


def start_pumps(
    local_stack: LocalStack,
    runtimes: dict[str, Runtime],
    *,
    poll_interval: float = 0.2,
    sqs_retry_visibility: int | None = None,
    on_invoke: Callable[[str, Any, float, float], None] | None = None,
) -> Pumps:
    """Build the pumps for every event source in the stack and start them in the background."""
    return Pumps(
        local_stack,
        runtimes,
        poll_interval=poll_interval,
        sqs_retry_visibility=sqs_retry_visibility,
        on_invoke=on_invoke,
    ).start()
