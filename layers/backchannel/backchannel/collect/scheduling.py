"""EventBridge Scheduler: one recurring schedule per source, ``rate(N minutes)`` from a day before its
event to a day after (StartDate, EndDate), that puts the source's ``CollectDue`` message on the collect
queue. Created with the source, deleted with it; outside the window nothing runs. The sync route puts
the same message on the queue at once (:class:`CollectQueue`)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from botocore.exceptions import ClientError

from backchannel.collect.model import Source
from backchannel.collect.rules import cycle_message
from backchannel.core import aws_clients
from backchannel.core.lazy import LazyClient


def schedule_name(source: Source) -> str:
    return f"collect-{source.id}"[:64]


class CollectSchedules:
    def __init__(
        self, *, group: str, queue_arn: str, role_arn: str, minutes: int, client: Any = None
    ) -> None:
        self.group, self.queue_arn, self.role_arn, self.minutes = group, queue_arn, role_arn, minutes
        self._client = client

    client = LazyClient(lambda: aws_clients.client("scheduler"))

    def upsert(self, source: Source, start: dt.datetime, end: dt.datetime) -> bool:
        now = dt.datetime.now(dt.UTC)
        if end <= now:
            return False  # the event is over: nothing to schedule
        request = {
            "Name": schedule_name(source),
            "GroupName": self.group,
            "ScheduleExpression": f"rate({self.minutes} minute{'s' if self.minutes != 1 else ''})",
            "StartDate": max(start, now),
            "EndDate": end,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": self.queue_arn,
                "RoleArn": self.role_arn,
                "Input": json.dumps(cycle_message(source)),
            },
        }
        try:
            self.client.create_schedule(**request)
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConflictException":
                raise
            self.client.update_schedule(**request)
        return True

    def cancel(self, source: Source) -> None:
        try:
            self.client.delete_schedule(Name=schedule_name(source), GroupName=self.group)
        except ClientError as err:
            if err.response["Error"]["Code"] != "ResourceNotFoundException":
                raise


class CollectQueue:
    """``sync``: one cycle now, through the same queue as the schedule's."""

    def __init__(self, url: str, client: Any = None) -> None:
        self.url, self._client = url, client

    client = LazyClient(lambda: aws_clients.client("sqs"))

    def __call__(self, message: dict) -> None:
        self.client.send_message(QueueUrl=self.url, MessageBody=json.dumps(message))
