"""SQS pump: partial batch responses, retries after the visibility timeout, and the queue's DLQ."""

from __future__ import annotations

import json


def _send(harness, *bodies, attributes=None):
    url = harness.stack.physical_id("WorkQueue")
    for body in bodies:
        harness.sqs.send_message(
            QueueUrl=url, MessageBody=json.dumps(body), MessageAttributes=attributes or {}
        )


def _queue_depth(harness, logical_id):
    attributes = harness.sqs.get_queue_attributes(
        QueueUrl=harness.stack.physical_id(logical_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def test_a_reported_failure_is_retried_then_dead_lettered_while_the_rest_are_deleted(harness):
    _send(harness, *({"id": f"m{i}", "poison": i == 3} for i in range(6)))

    harness.pumps.drain(timeout=20)  # waits out the 1 s visibility timeout between receives

    done = harness.log("QueueConsumer", "done")
    assert sorted(i["key"] for i in done) == ["m0", "m1", "m2", "m4", "m5"]
    assert len(done) == 5, "successful messages were deleted, so never redelivered"
    # maxReceiveCount 2: the poison message is tried twice, then SQS moves it to the DLQ.
    assert [i["key"] for i in harness.log("QueueConsumer", "failed")] == ["m3", "m3"]
    dead = harness.queue_messages("WorkDeadLetters")
    assert [json.loads(m["Body"])["id"] for m in dead] == ["m3"]
    assert _queue_depth(harness, "WorkQueue") == 0


def test_an_exception_fails_the_whole_batch_so_every_message_of_it_is_dead_lettered(harness):
    _send(harness, {"id": "a"}, {"id": "boom", "explode": True}, {"id": "c"})

    harness.pumps.drain(timeout=20)

    # "a" was handled before "boom" raised, but nothing of a failed batch is deleted: it came back.
    assert [i["key"] for i in harness.log("QueueConsumer", "done")] == ["a", "a"]
    dead = sorted(json.loads(m["Body"])["id"] for m in harness.queue_messages("WorkDeadLetters"))
    assert dead == ["a", "boom", "c"]


def test_messages_arrive_in_lambdas_sqs_record_shape(harness):
    _send(harness, {"id": "m"}, attributes={"kind": {"DataType": "String", "StringValue": "post"}})

    harness.pumps.drain(timeout=10)

    (item,) = harness.log("QueueConsumer", "done")
    record = item["raw"]
    queue_arn = harness.stack.attribute("WorkQueue", "Arn")
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue_arn
    assert record["awsRegion"] == "us-east-1"
    assert json.loads(record["body"]) == {"id": "m"}
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["kind"]["stringValue"] == "post"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert record["md5OfBody"] and record["messageId"] and record["receiptHandle"]


def test_a_local_retry_visibility_makes_failed_messages_come_back_at_once(stack, runtimes):
    """With ``sqs_retry_visibility=0`` nothing waits for the queue's visibility timeout."""
    from local.pumps import Pumps
    from tests.local_pumps.support import Harness

    # A visibility timeout far longer than the drain allows: only the local override can finish it.
    stack.client("sqs").set_queue_attributes(
        QueueUrl=stack.physical_id("WorkQueue"), Attributes={"VisibilityTimeout": "300"}
    )
    pumps = Pumps(stack, {"QueueConsumer": runtimes["QueueConsumer"]}, sqs_retry_visibility=0)
    harness = Harness(stack, pumps)
    _send(harness, {"id": "ok"}, {"id": "bad", "poison": True})

    pumps.drain(timeout=5)

    assert [i["key"] for i in harness.log("QueueConsumer", "failed")] == ["bad", "bad"]
    assert [json.loads(m["Body"])["id"] for m in harness.queue_messages("WorkDeadLetters")] == ["bad"]
