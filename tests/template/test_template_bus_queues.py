"""The bus rule -> queue -> worker pipelines: written out once per feature, checked here once for all.

Each pipeline is an ``AWS::Events::Rule`` on the domain bus targeting an SQS queue, the queue's
dead-letter queue (shared by the rule's DeadLetterConfig and the queue's RedrivePolicy), a queue policy
that lets only that rule send, and one worker that reads the queue with partial batch responses.
CloudFormation has no way to write that block once that ``sam build`` and the local runtime both
read (see docs/architecture.md), so the repetition is kept and its invariants are tested here.
"""

from __future__ import annotations

from typing import Any

import pytest

RULE = "AWS::Events::Rule"
QUEUE = "AWS::SQS::Queue"
QUEUE_POLICY = "AWS::SQS::QueuePolicy"
FUNCTION = "AWS::Serverless::Function"
DLQ_RETENTION = 1209600  # 14 days, SQS's maximum


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v.get("Type") == kind}


def _arn_of(value: Any) -> str | None:
    """The logical id in ``!GetAtt X.Arn``, else None."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return logical_id if attribute == "Arn" else None
    return None


def _pipelines(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(rule, queue, dlq) for every rule target that is a queue of this template."""
    queues = _of_type(template, QUEUE)
    found = []
    for rule_id, rule in _of_type(template, RULE).items():
        for target in rule["Properties"].get("Targets", []):
            queue_id = _arn_of(target.get("Arn"))
            if queue_id in queues:
                dlq_id = _arn_of((target.get("DeadLetterConfig") or {}).get("Arn"))
                found.append((rule_id, queue_id, dlq_id))
    return found


def _consumers(template: dict[str, Any], queue_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(function, SQS event properties) of the functions that read the queue."""
    return [
        (fn_id, event["Properties"])
        for fn_id, fn in _of_type(template, FUNCTION).items()
        for event in ((fn.get("Properties") or {}).get("Events") or {}).values()
        if event.get("Type") == "SQS" and _arn_of(event["Properties"].get("Queue")) == queue_id
    ]


@pytest.fixture(scope="module")
def pipelines(template):
    found = _pipelines(template)
    assert found, "no EventBridge rule targets a queue of this template"
    return found


def test_every_rule_on_the_bus_delivers_to_a_queue_with_a_dead_letter_queue(template, pipelines):
    queues = _of_type(template, QUEUE)
    for rule_id, queue_id, dlq_id in pipelines:
        rule = template["Resources"][rule_id]["Properties"]
        assert rule["EventBusName"] == {"Ref": "EventBus"}, rule_id
        assert rule["EventPattern"]["source"] == ["backchannel"], rule_id
        target = next(t for t in rule["Targets"] if _arn_of(t["Arn"]) == queue_id)
        assert target.get("RetryPolicy"), f"{rule_id}: no RetryPolicy"
        assert dlq_id in queues, f"{rule_id}: no DeadLetterConfig to a queue of this template"
        redrive = queues[queue_id]["Properties"].get("RedrivePolicy") or {}
        assert _arn_of(redrive.get("deadLetterTargetArn")) == dlq_id, (
            f"{queue_id} dead-letters elsewhere than its rule ({rule_id}) does"
        )


def test_queues_and_their_dead_letter_queues_are_encrypted_and_keep_failures_longest(template, pipelines):
    for rule_id, queue_id, dlq_id in pipelines:
        assert dlq_id, f"{rule_id}: no DeadLetterConfig"
        queue = template["Resources"][queue_id]["Properties"]
        dlq = template["Resources"][dlq_id]["Properties"]
        assert queue.get("SqsManagedSseEnabled") is True, queue_id
        assert dlq.get("SqsManagedSseEnabled") is True, dlq_id
        # A message keeps its first enqueue time in the DLQ: the DLQ must outlive the queue.
        assert dlq.get("MessageRetentionPeriod") == DLQ_RETENTION, dlq_id
        assert int(queue.get("MessageRetentionPeriod", 345600)) <= DLQ_RETENTION, queue_id


def test_only_its_rule_may_send_to_the_queue_and_its_dead_letter_queue(template, pipelines):
    policies = _of_type(template, QUEUE_POLICY)
    for rule_id, queue_id, dlq_id in pipelines:
        assert dlq_id, f"{rule_id}: no DeadLetterConfig"
        mine = [
            p["Properties"]
            for p in policies.values()
            if {"Ref": queue_id} in p["Properties"]["Queues"] and {"Ref": dlq_id} in p["Properties"]["Queues"]
        ]
        assert len(mine) == 1, f"{queue_id} and {dlq_id} need one AWS::SQS::QueuePolicy, found {len(mine)}"
        statements = mine[0]["PolicyDocument"]["Statement"]
        assert len(statements) == 1, queue_id
        (statement,) = statements
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert {_arn_of(r) for r in statement["Resource"]} == {queue_id, dlq_id}
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}}


def test_one_worker_reads_each_queue_in_partial_batches_within_its_visibility_timeout(
    template, pipelines, merged
):
    for _rule_id, queue_id, _dlq_id in pipelines:
        consumers = _consumers(template, queue_id)
        assert len(consumers) == 1, f"{queue_id} is read by {[c for c, _ in consumers]}"
        ((fn_id, event),) = consumers
        assert "ReportBatchItemFailures" in (event.get("FunctionResponseTypes") or []), fn_id
        timeout = int(merged(template, fn_id).get("Timeout", 3))
        visibility = int(template["Resources"][queue_id]["Properties"].get("VisibilityTimeout", 30))
        assert visibility >= 6 * timeout, f"{queue_id}: visibility {visibility} s < 6 x {fn_id}'s {timeout} s"
        polls = [
            p["SQSPollerPolicy"]["QueueName"]
            for p in merged(template, fn_id).get("Policies") or []
            if isinstance(p, dict) and "SQSPollerPolicy" in p
        ]
        assert {"Fn::GetAtt": [queue_id, "QueueName"]} in polls, (
            f"{fn_id} has no SQSPollerPolicy on {queue_id}"
        )
