"""Schedules that the application creates at run time: one-time (EventBridge Scheduler's ``at(...)``)
and recurring (``rate(...)``, the hashtag sources' collection cycles).

The template's own schedules are pumped by :class:`local.pumps._ScheduleSource`. This source covers the
schedules a function creates while the stack runs (the packs worker schedules each session's pack for
its end plus a grace period): moto stores them but never fires them. It lists the stack's schedule
groups, and when a schedule's time has come it sends the target's ``Input`` to its SQS queue, the one
target kind we use, then deletes the schedule when ``ActionAfterCompletion`` says so.

A ``rate(...)`` schedule fires between its ``StartDate`` and ``EndDate`` every ``rate_every_s``
seconds, whatever its rate: locally a collection cycle is ten seconds, not minutes. Such a firing is not
counted as work done, so ``drain()`` does not wait for the next one (the message it sent is work).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("local.pumps")


def _due_time(expression: str, timezone: str | None) -> datetime | None:
    """The moment of ``at(yyyy-mm-ddThh:mm:ss)``, or None for rate()/cron() (not ours to fire here)."""
    if not expression.startswith("at(") or not expression.endswith(")"):
        return None
    when = datetime.fromisoformat(expression[3:-1])
    if when.tzinfo is None:
        from zoneinfo import ZoneInfo

        when = when.replace(tzinfo=ZoneInfo(timezone) if timezone else UTC)
    return when.astimezone(UTC)


class RuntimeSchedules:
    """A pump source (same ``poll``/``busy``/``label`` surface as the others) for runtime schedules."""

    kind = "scheduler"
    function = "EventBridgeScheduler"

    def __init__(
        self,
        client: Callable[[str], Any],
        groups: list[str],
        clock: Callable[[], datetime],
        *,
        every_s: float = 1.0,
        rate_every_s: float = 10.0,
    ) -> None:
        self._client = client
        self.groups = groups
        self.clock = clock
        self.every_s = every_s
        self._last_look: datetime | None = None
        self._fired: set[str] = set()
        self.rate_every_s = rate_every_s
        self._rate_fired: dict[str, datetime] = {}

    @property
    def label(self) -> str:
        return "schedules created at run time in " + ", ".join(self.groups)

    def busy(self) -> bool:
        return False

    def poll(self) -> int:
        now = self.clock()
        if self._last_look is not None and (now - self._last_look).total_seconds() < self.every_s:
            return 0
        self._last_look = now
        scheduler = self._client("scheduler")
        fired = 0
        for group in self.groups:
            for summary in scheduler.list_schedules(GroupName=group).get("Schedules", []):
                name = summary["Name"]
                if f"{group}/{name}" in self._fired:
                    continue
                schedule = scheduler.get_schedule(GroupName=group, Name=name)
                if str(schedule.get("ScheduleExpression", "")).startswith("rate("):
                    fired += self._recurring(f"{group}/{name}", schedule, now)
                    continue
                due = _due_time(
                    schedule.get("ScheduleExpression", ""), schedule.get("ScheduleExpressionTimezone")
                )
                if due is None or due > now or schedule.get("State") == "DISABLED":
                    continue
                fired += self._fire(group, name, schedule)
        return fired

    def _recurring(self, key: str, schedule: dict[str, Any], now: datetime) -> int:
        start, end = schedule.get("StartDate"), schedule.get("EndDate")
        if schedule.get("State") == "DISABLED" or (start and now < start) or (end and now >= end):
            return 0
        last = self._rate_fired.get(key)
        if last is not None and (now - last).total_seconds() < self.rate_every_s:
            return 0
        self._rate_fired[key] = now
        self._send(key, schedule)
        return 0

    def _send(self, key: str, schedule: dict[str, Any]) -> int:
        target = schedule.get("Target") or {}
        arn = target.get("Arn", "")
        if ":sqs:" not in arn:
            log.warning("schedule %s: target %s is not an SQS queue; not fired locally", key, arn)
            return 0
        sqs = self._client("sqs")
        queue_name, account = arn.rsplit(":", 1)[-1], arn.split(":")[4]
        url = sqs.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=target.get("Input") or "{}")
        log.info("schedule %s fired: sent its input to %s", key, queue_name)
        return 1

    def _fire(self, group: str, name: str, schedule: dict[str, Any]) -> int:
        if not self._send(f"{group}/{name}", schedule):
            self._fired.add(f"{group}/{name}")
            return 0
        self._fired.add(f"{group}/{name}")
        if schedule.get("ActionAfterCompletion") == "DELETE":
            self._client("scheduler").delete_schedule(GroupName=group, Name=name)
            self._fired.discard(f"{group}/{name}")
        return 1
