"""DynamoDB stream pump: what the consumer sees, and what happens to records it cannot process."""

from __future__ import annotations

import json

import pytest

from tests.local_pumps.support import Harness


def _write(harness, keys, poison=None):
    """Put one item per key into SourceTable; ``poison`` maps a key to "report" or "raise"."""
    ddb = harness.stack.client("dynamodb")
    table = harness.stack.physical_id("SourceTable")
    for key in keys:
        item = {"pk": {"S": key}}
        if poison and key in poison:
            item["poison"] = {"S": poison[key]}
        ddb.put_item(TableName=table, Item=item)


def _sequence_numbers(harness):
    """Key -> stream sequence number, read from the stream as any observer could."""
    streams = harness.stack.client("dynamodbstreams")
    arn = harness.stack.attribute("SourceTable", "StreamArn")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return {r["dynamodb"]["Keys"]["pk"]["S"]: r["dynamodb"]["SequenceNumber"] for r in records}


def test_records_arrive_in_order_in_lambdas_event_shape(harness):
    keys = [f"k{i:02d}" for i in range(11)]
    _write(harness, keys)

    harness.pumps.drain(timeout=20)

    assert harness.done_keys("StreamConsumer") == keys
    log = harness.log("StreamConsumer", "done")
    assert all(1 <= item["batch"] <= 4 for item in log), "BatchSize 4 is respected"
    record = log[0]["raw"]
    assert record["eventName"] == "INSERT"
    assert record["eventVersion"] == "1.1"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == harness.stack.attribute("SourceTable", "StreamArn")
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "k00"}}
    assert record["dynamodb"]["NewImage"] == {"pk": {"S": "k00"}}
    assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert record["dynamodb"]["SequenceNumber"] == _sequence_numbers(harness)["k00"]


def test_a_reported_poison_record_fails_alone_and_reaches_the_on_failure_queue(harness):
    keys = [f"k{i}" for i in range(8)]
    _write(harness, keys, poison={"k2": "report"})

    harness.pumps.drain(timeout=20)

    assert harness.done_keys("StreamConsumer") == [k for k in keys if k != "k2"], (
        "neighbours keep their order"
    )
    failures = harness.queue_messages("StreamFailures")
    assert len(failures) == 1
    report = json.loads(failures[0]["Body"])
    info = report["DDBStreamBatchInfo"]
    sequence = _sequence_numbers(harness)
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sequence["k2"]
    assert info["streamArn"] == harness.stack.attribute("SourceTable", "StreamArn")
    assert info["shardId"].startswith("shardId-")
    assert report["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert report["requestContext"]["functionArn"] == harness.stack.functions["StreamConsumer"].arn
    # Once bisected down to itself, the poison record is tried 1 + MaximumRetryAttempts (2) times.
    alone = [i for i in harness.log("StreamConsumer", "failed") if i["key"] == "k2" and i["batch"] == 1]
    assert len(alone) == 3


def test_an_exception_fails_the_batch_and_bisecting_isolates_the_record_that_raised(harness):
    keys = [f"k{i}" for i in range(8)]
    _write(harness, keys, poison={"k5": "raise"})

    harness.pumps.drain(timeout=20)

    assert harness.done_keys("StreamConsumer") == [k for k in keys if k != "k5"]
    failures = [json.loads(m["Body"]) for m in harness.queue_messages("StreamFailures")]
    sequence = _sequence_numbers(harness)
    assert [f["DDBStreamBatchInfo"]["startSequenceNumber"] for f in failures] == [sequence["k5"]]
    assert failures[0]["DDBStreamBatchInfo"]["batchSize"] == 1
    assert failures[0]["responseContext"]["functionError"] == "Unhandled"


def test_records_outside_the_filter_criteria_never_reach_the_function(harness):
    ddb = harness.stack.client("dynamodb")
    table = harness.stack.physical_id("SourceTable")
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"N": "2"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "b"}})

    harness.pumps.drain(timeout=20)

    seen = [(i["key"], i["raw"]["eventName"]) for i in harness.log("StreamConsumer", "done")]
    assert seen == [("a", "INSERT"), ("a", "MODIFY"), ("b", "INSERT")], "REMOVE is filtered out"


def test_a_quiet_stream_does_nothing(harness):
    assert harness.pumps.run_once() == 0
    assert harness.pumps.drain(timeout=5) == 0
    assert harness.log("StreamConsumer") == []


@pytest.mark.parametrize("starting_position", ["LATEST", "TRIM_HORIZON"])
def test_starting_position_decides_whether_earlier_records_are_read(stack, runtimes, starting_position):
    from local.pumps import Pumps

    ddb = stack.client("dynamodb")
    table = stack.physical_id("SourceTable")
    ddb.put_item(TableName=table, Item={"pk": {"S": "before"}})
    stack.functions["StreamConsumer"].events["Changes"]["Properties"]["StartingPosition"] = starting_position
    pumps = Pumps(stack, {"StreamConsumer": runtimes["StreamConsumer"]})
    ddb.put_item(TableName=table, Item={"pk": {"S": "after"}})

    pumps.drain(timeout=10)

    expected = ["after"] if starting_position == "LATEST" else ["before", "after"]
    assert Harness(stack, pumps).done_keys("StreamConsumer") == expected


def test_a_cancelled_transaction_streams_nothing_and_hides_no_later_write(harness):
    """As on AWS: the writes of a cancelled TransactWriteItems never reach the stream, and the writes
    after it are all read (moto puts a copy of the table back on cancel: local.moto_rollback)."""
    ddb = harness.stack.client("dynamodb")
    table = harness.stack.physical_id("SourceTable")
    _write(harness, ["before"])
    harness.pumps.drain(timeout=20)
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "phantom-1"}}}},
                {"Put": {"TableName": table, "Item": {"pk": {"S": "phantom-2"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "before"}},
                        "ConditionExpression": "attribute_not_exists(pk)",  # it exists: cancelled
                    }
                },
            ]
        )
    _write(harness, ["after-1", "after-2", "after-3"])

    harness.pumps.drain(timeout=20)

    assert harness.done_keys("StreamConsumer") == ["before", "after-1", "after-2", "after-3"]
