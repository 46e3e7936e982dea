"""The live path: the push worker reads the main table's stream itself (one hop), filtered to the items
that make live news, with the stream's failure handling; the bus keeps the other consumers.

Why this path, hop by hop, is in the README ("Live path")."""

from __future__ import annotations

import json

from backchannel.live.rules import LIVE_DETAIL_TYPES

PUSH = "LivePushFunction"

# detail type pushed live -> the item type whose changes derive it (messaging.domain_events.RULES)
LIVE_SOURCES = {
    "PostCreated": "Post",
    "PostDeleted": "Post",
    "PostHidden": "Post",
    "QuestionAsked": "Question",
    "QuestionVoted": "Question",
    "QuestionAnswered": "Question",
    "SummaryPublished": "Summary",
}


def _stream_events(template, function: str) -> list[dict]:
    events = template["Resources"][function]["Properties"].get("Events") or {}
    return [e["Properties"] for e in events.values() if e.get("Type") == "DynamoDB"]


def test_the_push_worker_reads_the_table_stream_itself_with_bounded_retries_and_a_dlq(template):
    events = template["Resources"][PUSH]["Properties"]["Events"]
    # the stream, and the chunks of big ticks: no bus rule, no queue of domain events
    assert {name: e["Type"] for name, e in events.items()} == {
        "DataTableStream": "DynamoDB",
        "LiveChunksQueue": "SQS",
    }
    assert not [
        r
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::Events::Rule" and "LivePush" in json.dumps(r)
    ], "no bus rule feeds the push worker"
    [props] = _stream_events(template, PUSH)
    assert props["Stream"] == {"Fn::GetAtt": ["DataTable", "StreamArn"]}
    assert props["StartingPosition"] == "LATEST"
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 <= props["MaximumRetryAttempts"] <= 3
    assert 60 <= props["MaximumRecordAgeInSeconds"] <= 600
    assert props.get("MaximumBatchingWindowInSeconds", 0) == 0, "a batching window is latency"
    destination = props["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == {"Fn::GetAtt": ["LivePushDLQ", "Arn"]}
    policies = template["Resources"][PUSH]["Properties"]["Policies"]
    assert {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["LivePushDLQ", "QueueName"]}}} in policies
    assert template["Resources"]["LivePushDLQ"]["Properties"]["MessageRetentionPeriod"] == 1209600


def test_the_filter_lets_through_every_item_type_that_makes_live_news_and_no_other(template):
    assert set(LIVE_DETAIL_TYPES) == set(LIVE_SOURCES), "a new live message: say which item derives it"
    [props] = _stream_events(template, PUSH)
    patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    # one pattern on the new image (inserts, updates), one on the old (deletions)
    by_image = {image: p["dynamodb"][image]["type"]["S"] for p in patterns for image in p["dynamodb"]}
    assert set(by_image) == {"NewImage", "OldImage"}
    for image, types in by_image.items():
        assert set(types) == set(LIVE_SOURCES.values()), image


def test_no_more_than_two_functions_read_the_table_stream(template):
    """DynamoDB Streams: no more than two readers per shard at once, or reads are throttled."""
    readers = [
        fn
        for fn, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::Function"
        and any(
            p["Stream"] == {"Fn::GetAtt": ["DataTable", "StreamArn"]} for p in _stream_events(template, fn)
        )
    ]
    assert sorted(readers) == ["LivePushFunction", "StreamRouterFunction"]


def test_a_big_tick_s_chunks_go_through_their_own_queue_to_parallel_push_workers_with_a_dlq(template):
    chunks = template["Resources"][PUSH]["Properties"]["Events"]["LiveChunksQueue"]["Properties"]
    assert chunks["Queue"] == {"Fn::GetAtt": ["LiveChunksQueue", "Arn"]}
    assert chunks["BatchSize"] == 1, "one chunk an invocation: the chunks run in parallel"
    assert chunks["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert chunks["ScalingConfig"]["MaximumConcurrency"] == 20  # the viewers benchmark's workers
    queue = template["Resources"]["LiveChunksQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["LivePushDLQ", "Arn"]}
    assert queue["VisibilityTimeout"] >= 6 * template["Resources"][PUSH]["Properties"]["Timeout"]
    env = template["Resources"][PUSH]["Properties"]["Environment"]["Variables"]
    assert env["LIVE_CHUNKS_QUEUE_URL"] == {"Ref": "LiveChunksQueue"}
