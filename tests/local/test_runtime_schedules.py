"""One-time schedules created at run time (EventBridge Scheduler at(...)) fire under the local pumps:
moto stores them but never fires them."""

from __future__ import annotations

import datetime as dt
import json

import boto3


def _schedule(aws, name: str, when: dt.datetime, queue_arn: str, body: dict) -> None:
    boto3.client("scheduler").create_schedule(
        Name=name,
        GroupName=aws.physical_id("PacksScheduleGroup"),
        ScheduleExpression=f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})",
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": queue_arn,
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
            "Input": json.dumps(body),
        },
        ActionAfterCompletion="DELETE",
    )


def test_a_due_schedule_sends_its_input_to_its_queue_once_and_is_deleted(aws):
    from local.pumps import Pumps

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="schedule-target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    now = dt.datetime.now(dt.UTC)
    _schedule(aws, "due", now - dt.timedelta(minutes=1), arn, {"detail-type": "SessionPackDue", "n": 1})
    _schedule(aws, "later", now + dt.timedelta(hours=1), arn, {"n": 2})

    pumps = Pumps(aws, {})
    assert pumps.run_once() == 1
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"]) for m in messages] == [{"detail-type": "SessionPackDue", "n": 1}]
    left = boto3.client("scheduler").list_schedules(GroupName=aws.physical_id("PacksScheduleGroup"))[
        "Schedules"
    ]
    assert [s["Name"] for s in left] == ["later"]
    assert pumps.run_once() == 0  # nothing else is due yet


def test_later_schedules_fire_when_their_time_comes(aws):
    from local.pumps_scheduler import RuntimeSchedules

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="later-target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    now = dt.datetime.now(dt.UTC)
    _schedule(aws, "in-an-hour", now + dt.timedelta(hours=1), arn, {"n": 2})
    clock = [now]
    source = RuntimeSchedules(
        boto3.client, [aws.physical_id("PacksScheduleGroup")], lambda: clock[0], every_s=0
    )
    assert source.poll() == 0
    clock[0] = now + dt.timedelta(hours=1, seconds=1)
    assert source.poll() == 1
    assert json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"]) == {"n": 2}
