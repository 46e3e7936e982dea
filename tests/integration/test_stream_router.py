"""The stream router on moto built from template.yaml: API writes -> the table's stream -> the router
-> the EventBridge bus, observed as a downstream consumer would (a rule on the bus feeding a queue)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from local.pumps_events import dynamodb_record
from tests.integration.conftest import BusTap

ROUTER = "StreamRouterFunction"


@pytest.fixture
def tap(aws):
    return BusTap(aws, "test-bus-tap")


@pytest.fixture
def pumps(pumps_of):
    """Only the router's event source, driven by the test (drain until quiet)."""
    return pumps_of(ROUTER)


def stream_records(aws) -> list[dict[str, Any]]:
    """Every record of the main table's stream so far, as Lambda delivers them."""
    streams = aws.client("dynamodbstreams")
    arn = aws.attribute("DataTable", "StreamArn")
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += [dynamodb_record(r, stream_arn=arn, region=aws.region) for r in page["Records"]]
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return records


def by_type(delivered: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for event in delivered:
        found.setdefault(event["detail-type"], []).append(event)
    return found


def test_an_event_and_its_session_reach_the_bus_as_domain_events(
    api, olga, make_event, make_session, pumps, tap
):
    event = make_event()
    session = make_session(event)
    pumps.drain()

    delivered = tap.read()
    assert sorted(e["detail-type"] for e in delivered) == ["EventCreated", "OrganiserAdded", "SessionCreated"]
    found = by_type(delivered)
    assert {e["source"] for e in delivered} == {"backchannel"}

    created = found["EventCreated"][0]["detail"]
    assert created["schemaVersion"] == 1
    assert created["id"] == event["id"]
    assert created["hashtag"] == event["hashtag"]
    assert created["visibility"] == "public"
    assert created["createdBy"] == olga.sub
    assert "pk" not in created
    assert "gsi1pk" not in created

    organiser = found["OrganiserAdded"][0]["detail"]
    assert (organiser["eventId"], organiser["memberId"]) == (event["id"], olga.sub)

    session_created = found["SessionCreated"][0]
    assert session_created["detail"]["id"] == session["id"]
    assert session_created["detail"]["eventId"] == event["id"]
    assert session_created["detail"]["title"] == session["title"]
    assert session_created["detail"]["speakers"] == session["speakers"]
    assert session_created["resources"] == [f"event/{event['id']}", f"session/{session['id']}"]
    ids = [e["detail"]["domainEventId"] for e in delivered]
    assert len(set(ids)) == len(ids)


def test_session_changes_and_deletion(api, olga, make_event, make_session, pumps, tap):
    event = make_event()
    session = make_session(event)
    pumps.drain()
    tap.read()

    assert api.patch(f"/sessions/{session['id']}", {"room": "Room 2"}, as_=olga).status == 200
    assert api.delete(f"/sessions/{session['id']}", as_=olga).status == 204
    pumps.drain()

    delivered = tap.read()
    assert [e["detail-type"] for e in delivered] == ["SessionChanged", "SessionDeleted"]
    changed, deleted = (e["detail"] for e in delivered)
    assert changed["changed"] == ["room"]
    assert changed["room"] == "Room 2"
    assert (deleted["id"], deleted["eventId"]) == (session["id"], event["id"])


def test_joining_and_leaving_an_event(api, make_event, alice, pumps, tap):
    event = make_event()
    pumps.drain()
    tap.read()

    assert api.post(f"/events/{event['id']}/attendance", as_=alice).status in (200, 201)
    assert api.delete(f"/events/{event['id']}/attendance", as_=alice).status in (200, 204)
    pumps.drain()

    delivered = [e for e in tap.read() if e["detail"].get("eventId") == event["id"]]
    # the event has a code of conduct: joining accepts it
    assert [e["detail-type"] for e in delivered] == [
        "MemberJoinedEvent",
        "CodeOfConductAccepted",
        "MemberLeftEvent",
    ]
    assert {e["detail"]["memberId"] for e in delivered} == {alice.sub}


def test_a_redelivered_batch_publishes_the_same_event_ids(aws, api, make_event, make_session, tap):
    make_session(make_event())
    records = stream_records(aws)

    first = api.invoke(ROUTER, {"Records": records})
    again = api.invoke(ROUTER, {"Records": records})

    assert first == again == {"batchItemFailures": []}
    delivered = tap.read()
    ids = [e["detail"]["domainEventId"] for e in delivered]
    assert len(ids) == 6
    assert sorted(ids[:3]) == sorted(ids[3:])  # consumers see each event twice, with the same id


# -- failures ----------------------------------------------------------------------------------------


def failing_publisher(aws, responses: list[dict[str, Any]]):
    """The production publisher on a real client whose PutEvents answers are ``responses``."""
    from backchannel.messaging.bus import EventPublisher

    client = aws.client("events")
    stubber = Stubber(client)
    for response in responses:
        stubber.add_response("put_events", response)
    stubber.activate()
    return EventPublisher(client=client, bus_name=aws.physical_id("EventBus"), sleep=lambda _: None), stubber


def ok(n: int) -> dict[str, Any]:
    return {"FailedEntryCount": 0, "Entries": [{"EventId": f"eb-{i}"} for i in range(n)]}


def second_fails(n: int) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [{"EventId": f"eb-{i}"} for i in range(n)]
    entries[1] = {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
    return {"FailedEntryCount": 1, "Entries": entries}


THROTTLED = {
    "FailedEntryCount": 1,
    "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}],
}


def test_an_entry_that_keeps_failing_fails_exactly_its_record(
    aws, api, make_event, make_session, monkeypatch
):
    from backchannel.messaging import bus

    make_session(make_event())
    records = stream_records(aws)
    routed = [r for r in records if r["dynamodb"]["NewImage"]["type"]["S"] != "Claim"]
    assert len(routed) == 3  # the event, its organiser membership, the session: one event each
    publisher, stubber = failing_publisher(aws, [second_fails(3), THROTTLED, THROTTLED])
    monkeypatch.setattr(bus, "default_publisher", lambda: publisher)

    result = api.invoke(ROUTER, {"Records": records})

    stubber.assert_no_pending_responses()
    second = routed[1]["dynamodb"]["SequenceNumber"]
    assert result == {"batchItemFailures": [{"itemIdentifier": second}]}


def test_an_entry_that_fails_once_is_retried_and_the_batch_succeeds(
    aws, api, make_event, make_session, monkeypatch
):
    from backchannel.messaging import bus

    make_session(make_event())
    publisher, stubber = failing_publisher(aws, [second_fails(3), ok(1)])
    monkeypatch.setattr(bus, "default_publisher", lambda: publisher)

    assert api.invoke(ROUTER, {"Records": stream_records(aws)}) == {"batchItemFailures": []}
    stubber.assert_no_pending_responses()


def test_a_poison_record_fails_with_every_record_after_it(aws, api, make_event, make_session, tap):
    make_session(make_event())
    records = stream_records(aws)
    poison = json.loads(json.dumps(records[1]))
    poison["dynamodb"]["NewImage"]["roles"] = {"XX": ["attendee"]}  # not DynamoDB JSON
    batch = [records[0], poison, *records[2:]]

    result = api.invoke(ROUTER, {"Records": batch})

    failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
    assert failed == [r["dynamodb"]["SequenceNumber"] for r in batch[1:]]
    # Only what came before it was published; Lambda retries from the poison record.
    assert len(tap.read()) == len(
        [r for r in records[:1] if r["dynamodb"]["NewImage"]["type"]["S"] != "Claim"]
    )


def test_a_whole_batch_that_fails_is_a_function_error_so_lambda_bisects_it(aws, api, make_event, monkeypatch):
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from backchannel.messaging import bus

    make_event()
    records = [r for r in stream_records(aws) if r["dynamodb"]["NewImage"]["type"]["S"] == "Event"]
    publisher, _ = failing_publisher(aws, [THROTTLED] * 3)
    monkeypatch.setattr(bus, "default_publisher", lambda: publisher)

    with pytest.raises(BatchProcessingError):
        api.invoke(ROUTER, {"Records": records})


def test_put_events_is_called_with_at_most_ten_entries_in_order(aws):
    from backchannel.messaging.bus import EventPublisher
    from backchannel.messaging.domain_events import derive

    client = aws.client("events")
    calls: list[list[str]] = []
    real_put = client.put_events

    def put_events(**kwargs):
        calls.append([json.loads(e["Detail"])["id"] for e in kwargs["Entries"]])
        return real_put(**kwargs)

    client.put_events = put_events
    tap = BusTap(aws, "test-bus-tap")
    events = [
        event
        for i in range(23)
        for event in derive(
            None,
            {"type": "Post", "id": f"p{i:02d}", "eventId": "ev1", "text": "hi"},
            record_id=f"r{i}",
            at="2030-05-18T09:00:00.000Z",
        )
    ]

    assert EventPublisher(client=client, bus_name=aws.physical_id("EventBus")).publish(events) == []
    assert [len(c) for c in calls] == [10, 10, 3]
    assert [i for c in calls for i in c] == [f"p{i:02d}" for i in range(23)]
    assert sorted(e["detail"]["id"] for e in tap.read()) == [f"p{i:02d}" for i in range(23)]


def test_after_a_chunk_that_keeps_failing_nothing_later_is_sent(aws):
    from backchannel.messaging.domain_events import derive

    events = [
        event
        for i in range(15)
        for event in derive(
            None,
            {"type": "Post", "id": f"p{i}", "eventId": "ev1"},
            record_id=f"r{i}",
            at="2030-05-18T09:00:00.000Z",
        )
    ]
    publisher, stubber = failing_publisher(aws, [second_fails(10), THROTTLED, THROTTLED])

    failed = publisher.publish(events)

    stubber.assert_no_pending_responses()  # no call for the second chunk
    assert [e.detail["id"] for e in failed] == ["p1", *[f"p{i}" for i in range(10, 15)]]
    assert publisher.errors[events[1].id] == "ThrottlingException"
    assert publisher.errors[events[12].id] == "NotSent"


SAMPLES = Path(__file__).resolve().parents[2] / "events" / "stream_router"


def test_a_private_note_leaves_nothing_on_the_bus_or_in_the_logs(api, tap, capsys, caplog, monkeypatch):
    import logging

    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    sample = json.loads((SAMPLES / "private_note_edit.json").read_text())
    image = sample["Records"][0]["dynamodb"]
    secrets = [
        image["OldImage"]["body"]["S"],
        image["NewImage"]["body"]["S"],
        image["NewImage"]["title"]["S"],
    ]

    assert api.invoke(ROUTER, sample) == {"batchItemFailures": []}
    shared = json.loads((SAMPLES / "share_note.json").read_text())
    assert api.invoke(ROUTER, shared) == {"batchItemFailures": []}
    secrets.append(shared["Records"][0]["dynamodb"]["NewImage"]["body"]["S"])

    delivered = tap.read()
    assert [e["detail-type"] for e in delivered] == ["NoteShared"]
    out = capsys.readouterr()
    seen = json.dumps(delivered) + out.out + out.err + caplog.text
    for secret in secrets:
        assert secret not in seen
