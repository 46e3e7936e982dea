"""Helpers for the pump tests: a hand-moved clock, and readers of what the fixture functions left."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"
STACK_NAME = "pumps-test"


class FakeClock:
    """A clock the schedule pump reads instead of the wall clock, moved by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Harness:
    """The provisioned stack, its pumps, and what a downstream observer can read from moto."""

    def __init__(self, stack: Any, pumps: Any) -> None:
        self.stack = stack
        self.pumps = pumps
        self.records = stack.client("dynamodb")
        self.sqs = stack.client("sqs")

    def log(self, function: str, outcome: str | None = None) -> list[dict[str, Any]]:
        """Everything ``function`` recorded, in invocation order (raw payloads decoded)."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.stack.physical_id("RecordTable"),
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": function}},
        }
        while True:
            page = self.records.query(**kwargs)
            for raw in page["Items"]:
                item = {name: next(iter(value.values())) for name, value in raw.items()}
                for name in ("raw", "batch"):
                    if name in item:
                        item[name] = json.loads(item[name])
                items.append(item)
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [i for i in items if outcome is None or i["outcome"] == outcome]

    def done_keys(self, function: str) -> list[str]:
        """Keys the function processed successfully, first occurrence only, in order."""
        seen: list[str] = []
        for item in self.log(function, "done"):
            if item["key"] not in seen:
                seen.append(item["key"])
        return seen

    def queue_messages(self, logical_id: str) -> list[dict[str, Any]]:
        """Every message currently on the template's queue ``logical_id`` (received, not deleted)."""
        url = self.stack.physical_id(logical_id)
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                return messages
            messages.extend(batch)
