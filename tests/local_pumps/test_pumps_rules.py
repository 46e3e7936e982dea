"""EventBridge rule pump: only matching events reach the function, failures follow async retries."""

from __future__ import annotations

import json


def _put(harness, detail_type, detail, source="backchannel.test"):
    events = harness.stack.client("events")
    response = events.put_events(
        Entries=[
            {
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
                "EventBusName": harness.stack.physical_id("Bus"),
                "Resources": ["arn:aws:example:::thing"],
            }
        ]
    )
    assert response["FailedEntryCount"] == 0


def test_the_rule_delivers_only_events_matching_its_pattern(harness):
    _put(harness, "PostCreated", {"id": "created", "kind": "post"})
    _put(harness, "PostWithdrawn", {"id": "withdrawn", "kind": "post"})  # prefix "Post"
    _put(harness, "NoteShared", {"id": "note", "kind": "note"})  # wrong detail-type
    _put(harness, "PostCreated", {"id": "spam", "kind": "spam"})  # anything-but spam
    _put(harness, "PostCreated", {"id": "elsewhere", "kind": "post"}, source="other")  # wrong source
    harness.stack.client("events").put_events(  # same event on the default bus: not this rule's bus
        Entries=[
            {"Source": "backchannel.test", "DetailType": "PostCreated", "Detail": '{"id": "default-bus"}'}
        ]
    )

    harness.pumps.drain(timeout=10)

    assert harness.done_keys("RuleConsumer") == ["created", "withdrawn"]


def test_the_function_gets_the_full_eventbridge_envelope(harness):
    _put(harness, "PostCreated", {"id": "p1", "kind": "post"})

    harness.pumps.drain(timeout=10)

    (item,) = harness.log("RuleConsumer", "done")
    event = item["raw"]
    assert event["version"] == "0"
    assert event["detail-type"] == "PostCreated"
    assert event["source"] == "backchannel.test"
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert event["resources"] == ["arn:aws:example:::thing"]
    assert event["detail"] == {"id": "p1", "kind": "post"}
    assert event["id"] and event["time"].endswith("Z")


def test_a_failing_event_is_retried_then_sent_to_the_functions_on_failure_destination(harness):
    _put(harness, "PostCreated", {"id": "bad", "kind": "post", "poison": True})
    _put(harness, "PostCreated", {"id": "good", "kind": "post"})

    harness.pumps.drain(timeout=10)

    assert harness.done_keys("RuleConsumer") == ["good"]
    # EventInvokeConfig.MaximumRetryAttempts 1: one attempt and one retry.
    assert [i["key"] for i in harness.log("RuleConsumer", "failed")] == ["bad", "bad"]
    (message,) = harness.queue_messages("RuleFailures")
    failure = json.loads(message["Body"])
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert failure["requestPayload"]["detail"]["id"] == "bad"
    assert failure["responsePayload"]["errorType"] == "ValueError"


def test_the_tap_is_a_clearly_named_local_rule_on_the_templates_bus(harness):
    events = harness.stack.client("events")
    rules = events.list_rules(EventBusName=harness.stack.physical_id("Bus"))["Rules"]
    assert [r["Name"] for r in rules] == ["pumps-test-local-tap-RuleConsumer-Posted"]
    assert json.loads(rules[0]["EventPattern"])["source"] == ["backchannel.test"]
