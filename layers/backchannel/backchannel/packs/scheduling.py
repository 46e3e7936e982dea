"""EventBridge Scheduler: one one-time schedule per session, at its end plus the grace period, that
sends a ``SessionPackDue`` message to the packs queue. Created or moved on SessionCreated and
SessionChanged, deleted on SessionDeleted; the schedule deletes itself after it fires. No Scan: the
schedule carries the session's ids, and the worker requests that session's pack."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from botocore.exceptions import ClientError

from backchannel.core import aws_clients
from backchannel.core.config import on_reset
from backchannel.core.lazy import LazyClient
from backchannel.core.observability import logger
from backchannel.packs.rules import SESSION_ENDED


def scheduler_client() -> Any:
    return aws_clients.client("scheduler")


_groups_seen: set[str] = set()
on_reset(_groups_seen.clear)


def schedule_name(session_id: str) -> str:
    return f"pack-session-{session_id}"[:64]


def due_message(session_id: str, event_id: str) -> dict:
    """What the schedule puts on the queue: shaped like the rule's EventBridge envelopes."""
    return {
        "source": "backchannel.scheduler",
        "detail-type": SESSION_ENDED,
        "detail": {"sessionId": session_id, "eventId": event_id},
    }


class SessionEndSchedules:
    def __init__(self, *, group: str, queue_arn: str, role_arn: str, client: Any = None) -> None:
        self.group, self.queue_arn, self.role_arn = group, queue_arn, role_arn
        self._client = client

    client = LazyClient(scheduler_client)

    def group_exists(self) -> bool:
        """The template creates the group; a stack without it (a partial local one) skips scheduling
        rather than failing every session change."""
        if self.group in _groups_seen:
            return True
        try:
            self.client.get_schedule_group(Name=self.group)
        except ClientError as err:
            if err.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            logger.warning("schedule group missing: no end-of-session pack", extra={"group": self.group})
            return False
        _groups_seen.add(self.group)
        return True

    def upsert(self, session_id: str, event_id: str, at: dt.datetime) -> bool:
        if not self.group_exists():
            return False
        when = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        request = {
            "Name": schedule_name(session_id),
            "GroupName": self.group,
            "ScheduleExpression": f"at({when})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Target": {
                "Arn": self.queue_arn,
                "RoleArn": self.role_arn,
                "Input": json.dumps(due_message(session_id, event_id)),
            },
        }
        try:
            self.client.create_schedule(**request)
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConflictException":
                raise
            self.client.update_schedule(**request)
        return True

    def cancel(self, session_id: str) -> None:
        if not self.group_exists():
            return
        try:
            self.client.delete_schedule(Name=schedule_name(session_id), GroupName=self.group)
        except ClientError as err:
            if err.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
