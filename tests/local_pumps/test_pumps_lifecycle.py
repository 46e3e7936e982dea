"""The background thread: it pumps on its own, survives handler errors, and stops cleanly."""

from __future__ import annotations

import threading
import time

from local.pumps import start_pumps
from tests.local_pumps.support import Harness


def _wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_started_pumps_deliver_without_being_driven_and_stop_idempotently(stack, runtimes):
    pumps = start_pumps(stack, runtimes, poll_interval=0.05)
    harness = Harness(stack, pumps)
    try:
        ddb = stack.client("dynamodb")
        table = stack.physical_id("SourceTable")
        ddb.put_item(TableName=table, Item={"pk": {"S": "poison"}, "poison": {"S": "raise"}})
        ddb.put_item(TableName=table, Item={"pk": {"S": "fine"}})

        # The poison record's errors are logged, retried and skipped; the thread carries on.
        assert _wait_for(lambda: harness.done_keys("StreamConsumer") == ["fine"])
        assert _wait_for(lambda: len(harness.queue_messages("StreamFailures")) == 1)
        assert any(t.name == "local-pumps" for t in threading.enumerate())
        pumps.drain(timeout=10)  # safe while the thread runs: they take turns
    finally:
        pumps.stop()
        pumps.stop()
    assert not any(t.name == "local-pumps" for t in threading.enumerate())


def test_functions_without_a_runtime_are_not_pumped(stack, runtimes):
    from local.pumps import Pumps

    pumps = Pumps(stack, {"QueueConsumer": runtimes["QueueConsumer"]})

    assert pumps.describe() == ["QueueConsumer <- sqs pumps-test-WorkQueue"]


def test_invocations_are_logged_under_local_pumps(harness, caplog):
    caplog.set_level("INFO", logger="local.pumps")
    harness.pumps.fire_schedule("Ticker", "NightlyDigest")

    (line,) = [
        r.getMessage() for r in caplog.records if r.name == "local.pumps" and "Ticker <-" in r.getMessage()
    ]
    assert "schedule NightlyDigest" in line
    assert "1 record(s): ok" in line


def test_pumps_work_against_a_moto_server_as_make_run_uses():
    """Same wiring over HTTP: the pumps only talk to AWS through the stack's endpoint."""
    import json
    import socket

    from moto.server import ThreadedMotoServer

    from local.lambdas import FunctionRuntime
    from local.provision import provision
    from tests.local_pumps.support import TEMPLATE

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        stack = provision(TEMPLATE, stack_name="pumps-server", endpoint_url=endpoint)
        runtimes = {
            name: FunctionRuntime(spec, base_env={"AWS_ENDPOINT_URL": endpoint})
            for name, spec in stack.functions.items()
        }
        pumps = start_pumps(stack, runtimes, poll_interval=0.05)
        try:
            stack.client("dynamodb").put_item(
                TableName=stack.physical_id("SourceTable"), Item={"pk": {"S": "streamed"}}
            )
            stack.client("sqs").send_message(
                QueueUrl=stack.physical_id("WorkQueue"), MessageBody=json.dumps({"id": "queued"})
            )
            stack.client("events").put_events(
                Entries=[
                    {
                        "Source": "backchannel.test",
                        "DetailType": "PostCreated",
                        "Detail": json.dumps({"id": "routed", "kind": "post"}),
                        "EventBusName": stack.physical_id("Bus"),
                    }
                ]
            )
            pumps.drain(timeout=15)
            harness = Harness(stack, pumps)
            assert harness.done_keys("StreamConsumer") == ["streamed"]
            assert harness.done_keys("QueueConsumer") == ["queued"]
            assert harness.done_keys("RuleConsumer") == ["routed"]
        finally:
            pumps.stop()
    finally:
        server.stop()


def test_started_pumps_wake_on_work_not_on_their_interval(stack, runtimes):
    """moto's writes ring the sources' doorbells: with an idle wait of a minute, a stream record, a
    queue message and a rule's event are still handled at once."""
    import json

    pumps = start_pumps(stack, runtimes, poll_interval=60)
    harness = Harness(stack, pumps)
    try:
        time.sleep(0.5)  # every source's first look is over: they all sleep now
        stack.client("dynamodb").put_item(
            TableName=stack.physical_id("SourceTable"), Item={"pk": {"S": "woken"}}
        )
        stack.client("sqs").send_message(
            QueueUrl=stack.physical_id("WorkQueue"), MessageBody=json.dumps({"id": "rung"})
        )
        stack.client("events").put_events(
            Entries=[
                {
                    "Source": "backchannel.test",
                    "DetailType": "PostCreated",
                    "Detail": json.dumps({"id": "routed", "kind": "post"}),
                    "EventBusName": stack.physical_id("Bus"),
                }
            ]
        )
        assert _wait_for(lambda: harness.done_keys("StreamConsumer") == ["woken"], timeout=10)
        assert _wait_for(lambda: harness.done_keys("QueueConsumer") == ["rung"], timeout=10)
        assert _wait_for(lambda: harness.done_keys("RuleConsumer") == ["routed"], timeout=10)
    finally:
        pumps.stop()
    assert not any(t.name == "local-pumps" for t in threading.enumerate())
