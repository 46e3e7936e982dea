"""SendMessageBatch in 10s (``core.queues``): what SQS would receive, a partial failure resent, and a
message SQS refuses as malformed raised rather than retried."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from backchannel.core.queues import QueueError, send_batches

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/q"


@pytest.fixture
def sqs():
    client = boto3.client("sqs", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber


def entries(messages: list[dict], delay: int = 0) -> list[dict]:
    return [
        {
            "Id": str(n),
            "MessageBody": json.dumps(m, separators=(",", ":")),
            **({"DelaySeconds": delay} if delay else {}),
        }
        for n, m in enumerate(messages)
    ]


def test_messages_go_in_batches_of_ten_with_their_delay(sqs):
    client, stubber = sqs
    messages = [{"n": n} for n in range(12)]
    for batch in (messages[:10], messages[10:]):
        stubber.add_response(
            "send_message_batch",
            {"Successful": [], "Failed": []},
            {"QueueUrl": URL, "Entries": entries(batch, 2)},
        )
    assert send_batches(client, URL, messages, delay_s=2) == 2
    stubber.assert_no_pending_responses()


def test_the_failed_entries_of_a_batch_are_sent_again_alone(sqs):
    client, stubber = sqs
    messages = [{"n": 0}, {"n": 1}]
    failed = {"Id": "1", "SenderFault": False, "Code": "InternalError"}
    stubber.add_response(
        "send_message_batch",
        {"Successful": [], "Failed": [failed]},
        {"QueueUrl": URL, "Entries": entries(messages)},
    )
    stubber.add_response(
        "send_message_batch",
        {"Successful": [], "Failed": []},
        {"QueueUrl": URL, "Entries": entries(messages)[1:]},
    )
    assert send_batches(client, URL, messages, sleep=lambda _s: None) == 2
    stubber.assert_no_pending_responses()


def test_a_message_sqs_refuses_as_ours_is_not_retried(sqs):
    client, stubber = sqs
    failed = {"Id": "0", "SenderFault": True, "Code": "InvalidParameterValue"}
    stubber.add_response("send_message_batch", {"Successful": [], "Failed": [failed]})
    with pytest.raises(QueueError, match="1 message"):
        send_batches(client, URL, [{"n": 0}], sleep=lambda _s: None)
    stubber.assert_no_pending_responses()
