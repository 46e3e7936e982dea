"""The event shapes Lambda hands to functions, and the records it writes when it gives up.

The pumps read from moto with boto3, whose answers are close to, but not the same as, what Lambda
passes to a handler: boto3 turns timestamps into ``datetime`` and binary attributes into ``bytes``,
SQS message attributes come back in PascalCase, and moto leaves out fields Lambda adds
(``eventSourceARN``, ``account``). The helpers here do those translations in one place, so a handler
that runs locally sees the same JSON it would see in AWS (and ``json.dumps`` of it works).
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from moto.events.models import EventPattern

LAMBDA_ARN = "arn:aws:lambda:{region}:{account}:function:{name}"


def utc_now_iso(milliseconds: bool = True) -> str:
    """``2024-05-01T09:00:00.123Z``, the timestamp format of Lambda's failure records."""
    now = datetime.now(UTC)
    text = now.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{now.microsecond // 1000:03d}Z" if milliseconds else f"{text}Z"


def _json_safe(value: Any) -> Any:
    """Lambda's JSON: binary as base64 text, sets as lists, timestamps as epoch seconds."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


# ---------------------------------------------------------------------------------------------
# DynamoDB streams
# ---------------------------------------------------------------------------------------------
def dynamodb_record(raw: dict[str, Any], *, stream_arn: str, region: str) -> dict[str, Any]:
    """One ``get_records`` record as Lambda delivers it (``eventVersion`` 1.1, ``eventSourceARN``)."""
    record = {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": raw.get("awsRegion", region),
        "dynamodb": _json_safe(raw["dynamodb"]),
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in raw:  # TTL deletions carry the DynamoDB service principal
        record["userIdentity"] = raw["userIdentity"]
    return record


def stream_failure_record(
    batch: list[dict[str, Any]],
    *,
    shard_id: str,
    stream_arn: str,
    function_arn: str,
    invoke_count: int,
    error: str | None,
) -> dict[str, Any]:
    """The OnFailure destination message for a stream batch whose retries ran out.

    Same shape as AWS: it describes the batch (shard and sequence range) rather than carrying the
    records, which a consumer of the destination reads back from the stream if it still can.
    """

    def arrival(record: dict[str, Any]) -> str:
        seconds = record["dynamodb"].get("ApproximateCreationDateTime", 0)
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": error or "",
        },
        "version": "1.0",
        "timestamp": utc_now_iso(),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": arrival(batch[0]),
            "approximateArrivalOfLastRecord": arrival(batch[-1]),
            "batchSize": len(batch),
            "streamArn": stream_arn,
        },
    }


# ---------------------------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------------------------
def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """SQS ``{"StringValue", "DataType"}`` becomes Lambda's ``{"stringValue", "dataType", ...}``."""
    converted: dict[str, Any] = {
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": [_json_safe(item) for item in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = _json_safe(value["BinaryValue"])
    return converted


def sqs_record(message: dict[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    """One ``receive_message`` message as Lambda delivers it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _lambda_message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "md5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


# ---------------------------------------------------------------------------------------------
# EventBridge and schedules
# ---------------------------------------------------------------------------------------------
def eventbridge_event(body: str, *, account: str, region: str) -> dict[str, Any]:
    """The event moto wrote to a tap queue, completed to EventBridge's envelope.

    moto's SQS target receives the event JSON without ``account``; Lambda sees every envelope
    field, so fill the gaps instead of making handlers tolerate their absence.
    """
    event = json.loads(body)
    if not isinstance(event, dict) or "detail-type" not in event:
        return event  # an InputTransformer output: delivered exactly as transformed
    event.setdefault("version", "0")
    event.setdefault("id", str(uuid.uuid4()))
    event.setdefault("account", account)
    event.setdefault("region", region)
    event.setdefault("time", utc_now_iso(milliseconds=False))
    event.setdefault("resources", [])
    event.setdefault("detail", {})
    return event


def scheduled_event(*, rule_arn: str, account: str, region: str, when: datetime) -> dict[str, Any]:
    """What a scheduled rule without ``Input`` passes to its function."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def async_failure_record(
    payload: Any, *, function_arn: str, invoke_count: int, error: BaseException
) -> dict[str, Any]:
    """The OnFailure destination message for an asynchronous invocation that kept failing."""
    return {
        "version": "1.0",
        "timestamp": utc_now_iso(),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": []},
    }


def json_path(event: Any, path: str) -> Any:
    """EventBridge ``InputPath``: ``$`` or a dotted ``$.detail.x`` path (no filters or wildcards)."""
    if path in ("", "$"):
        return event
    if not path.startswith("$."):
        raise ValueError(f"unsupported InputPath {path!r}")
    value = event
    for key in path[2:].split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


# ---------------------------------------------------------------------------------------------
# Lambda event filtering (FilterCriteria)
# ---------------------------------------------------------------------------------------------
class RecordFilter:
    """A source's ``FilterCriteria``: a record passes when any of its patterns matches.

    Lambda's filter syntax is EventBridge's pattern syntax, so moto's EventBridge matcher (the one
    that already decides which rule gets which event locally) does the matching. For SQS, Lambda
    matches ``body`` patterns against the body parsed as JSON, so the record is matched that way.
    """

    def __init__(self, criteria: dict[str, Any] | None) -> None:
        self.patterns = [
            EventPattern(
                None, json.loads(item["Pattern"]) if isinstance(item["Pattern"], str) else item["Pattern"]
            )
            for item in (criteria or {}).get("Filters", [])
        ]

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def passes(self, record: dict[str, Any]) -> bool:
        if not self.patterns:
            return True
        subject = record
        if record.get("eventSource") == "aws:sqs":
            try:
                subject = {**record, "body": json.loads(record["body"])}
            except (TypeError, ValueError):
                subject = record
        return any(pattern.matches_event(subject) for pattern in self.patterns)
