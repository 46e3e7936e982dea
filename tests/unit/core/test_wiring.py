"""core.wiring: the handlers' cached, resettable factories and their batch processing, written once."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from backchannel.core import config, wiring

FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"
HANDLERS = sorted(p.parent.name for p in FUNCTIONS.glob("*/app.py"))

# What the factories read when they make their clients and repositories (nothing is called).
ENVIRONMENT = {
    "DATA_TABLE_NAME": "data",
    "CONNECTIONS_TABLE_NAME": "connections",
    "EVENT_BUS_NAME": "bus",
    "PACKS_BUCKET_NAME": "packs",
    "PACKS_QUEUE_ARN": "arn:aws:sqs:us-east-1:123456789012:packs",
    "PACKS_SCHEDULE_GROUP": "packs",
    "PACKS_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
    "DELIVERY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/delivery",
    "CIRCULATION_KEY_ID": "alias/circulation",
    "CIRCULATION_MAC_KEY_ID": "alias/circulation-mac",
    "MAIL_FROM": "packs@example.org",
    "PUBLIC_API_URL": "https://api.example.org",
    "WEBSOCKET_ENDPOINT": "https://ws.example.org/live",
    "LIVE_CHUNKS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/live-chunks",
    "IDEMPOTENCY_TABLE_NAME": "idempotency",
    "COLLECT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/collect",
    "COLLECT_QUEUE_ARN": "arn:aws:sqs:us-east-1:123456789012:collect",
    "COLLECT_SCHEDULE_GROUP": "collect",
    "COLLECT_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/collect-scheduler",
    "SCHEDULE_IMPORT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/schedule-imports",
    "SCHEDULE_IMPORTS_BUCKET_NAME": "schedule-imports",
    "USER_POOL_ID": "us-east-1_local",
}


def factories(module) -> dict:
    """The cached factories a handler module holds, its own and those it imports (the settings apart)."""
    return {
        name: fn
        for name, fn in vars(module).items()
        if callable(getattr(fn, "cache_clear", None)) and name != "get_config"
    }


@pytest.fixture
def environment(monkeypatch):
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    config.reset()
    yield
    monkeypatch.undo()
    config.reset()  # nothing made here outlives the test


# -- factory ----------------------------------------------------------------------------------------


def counted_factory():
    made: list[object] = []

    @wiring.factory
    def thing():
        made.append(object())
        return made[-1]

    return thing, made


def test_a_factory_makes_its_object_on_first_use_and_keeps_it():
    thing, made = counted_factory()
    assert made == []  # nothing at decoration (import) time
    assert thing() is thing() is made[0]
    assert len(made) == 1


def test_a_class_is_a_factory_of_its_instances():
    class Repo:
        def get(self):
            return "item"

    repo = wiring.factory(Repo)
    first = repo()
    assert isinstance(first, Repo)
    assert repo() is first
    assert not hasattr(repo, "get")  # the class's namespace stays on the class
    config.reset()
    assert repo() is not first
    assert repo() is repo()


def test_reset_drops_what_a_factory_made():
    thing, made = counted_factory()
    first = thing()
    config.reset()
    assert thing() is not first
    assert len(made) == 2
    thing.cache_clear()  # still a functools cache underneath
    assert thing() is made[2]


@pytest.mark.parametrize("name", HANDLERS)
def test_handlers_make_nothing_at_import(name):
    config.reset()
    spec = importlib.util.spec_from_file_location(f"_fresh_{name}_app", FUNCTIONS / name / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # a cold start of its own, apart from functions.<name>.app
    assert all(fn.cache_info().currsize == 0 for fn in factories(module).values())


@pytest.mark.parametrize("name", HANDLERS)
def test_reset_drops_every_factory_of_every_handler(name, environment):
    module = importlib.import_module(f"functions.{name}.app")
    found = factories(module)
    assert found or name == "stream_router"  # the router takes its publisher as an argument
    for factory_name, fn in found.items():
        fn()
        assert fn.cache_info().currsize == 1, factory_name
    config.reset()
    assert {n: fn.cache_info().currsize for n, fn in found.items()} == dict.fromkeys(found, 0)


def test_handlers_leave_the_wiring_to_core():
    for name in HANDLERS:
        source = (FUNCTIONS / name / "app.py").read_text()
        for written_once in ("functools.cache", "on_reset(", "process_partial_response", "BatchProcessor("):
            assert written_once not in source, f"{name}: {written_once} belongs to backchannel.core.wiring"


# -- batches ----------------------------------------------------------------------------------------


def sqs_event(*bodies: str) -> dict:
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"r{n}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:queue",
                "awsRegion": "us-east-1",
            }
            for n, body in enumerate(bodies)
        ]
    }


def stream_event(*sequence_numbers: str) -> dict:
    return {
        "Records": [
            {
                "eventID": f"e{seq}",
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/data/stream/x",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "Keys": {"pk": {"S": "POST#1"}, "sk": {"S": "POST"}},
                    "SequenceNumber": seq,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
            for seq in sequence_numbers
        ]
    }


def test_sqs_batch_fails_a_poison_message_alone():
    seen = []

    def handle(record):
        assert isinstance(record, SQSRecord)
        if json.loads(record.body).get("poison"):
            raise ValueError("poison")
        seen.append(record.message_id)

    answer = wiring.sqs_batch(sqs_event("{}", '{"poison": true}', "{}"), None, handle)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert seen == ["m0", "m2"]


def test_sqs_batch_answers_an_empty_failure_list_when_all_went_well():
    assert wiring.sqs_batch(sqs_event("{}", "{}"), None, lambda record: None) == {"batchItemFailures": []}


def test_a_whole_failed_batch_raises_unless_told_to_report_it():
    def fail(record):
        raise RuntimeError("down")

    with pytest.raises(BatchProcessingError):
        wiring.sqs_batch(sqs_event("{}", "{}"), None, fail)
    answer = wiring.sqs_batch(sqs_event("{}", "{}"), None, fail, raise_on_entire_batch_failure=False)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]}


def test_stream_batch_reports_failed_records_by_sequence_number():
    def handle(record):
        assert isinstance(record, DynamoDBRecord)
        if record.dynamodb.sequence_number == "200":
            raise ValueError("not published")

    answer = wiring.stream_batch(stream_event("100", "200", "300"), None, handle)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "200"}]}
