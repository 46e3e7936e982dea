"""``GET /_local/events`` (local.bus_tap): what reached the bus, as a developer polling it would see it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client

from tests.support.runtime import http


def _put(events: Any, bus: str, detail_type: str, detail: dict, *, source: str = "backchannel", resources=()):
    reply = events.put_events(
        Entries=[
            {
                "EventBusName": bus,
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
                "Resources": list(resources),
            }
        ]
    )
    assert reply["FailedEntryCount"] == 0


@pytest.fixture
def tapped(fixture_template):
    """The fixture template on in-process moto, with a tap (ring of 5) and its WSGI app under a client."""
    from moto import mock_aws

    from local.bus_tap import BusTap
    from local.provision import provision

    with mock_aws():
        stack = provision(fixture_template, endpoint_url=None)
        tap = BusTap(stack, max_items=5).start()
        yield tap, stack.client("events"), stack.physical_id("Bus"), Client(tap)


def _get(client: Client, query: str = "") -> list[dict]:
    reply = client.get(f"/_local/events{query}")
    assert reply.status_code == 200, reply.data
    assert reply.headers["Content-Type"] == "application/json"
    return reply.get_json()["items"]


def test_lists_events_as_put_on_the_bus_newest_last(tapped):
    _tap, events, bus, client = tapped
    _put(events, bus, "EventCreated", {"id": "E1", "name": "Camp"}, resources=["event/E1"])
    _put(events, bus, "PostCreated", {"id": "P1", "eventId": "E1", "text": "hi"}, source="elsewhere")

    items = _get(client)

    assert [i["detailType"] for i in items] == ["EventCreated", "PostCreated"]
    first, second = items
    assert first["source"] == "backchannel"
    assert first["detail"] == {"id": "E1", "name": "Camp"}
    assert first["resources"] == ["event/E1"]
    assert second["source"] == "elsewhere"  # every source is tapped
    assert set(first) == {"id", "time", "source", "detailType", "detail", "resources"}
    assert first["id"] and first["id"] != second["id"]
    assert first["time"].endswith("Z")
    assert _get(client) == items  # reading does not consume


def test_filters_by_detail_type_and_polls_after_an_id(tapped):
    _tap, events, bus, client = tapped
    for n, kind in enumerate(["EventCreated", "PostCreated", "NoteShared", "PostCreated"]):
        _put(events, bus, kind, {"n": n})

    assert [i["detail"]["n"] for i in _get(client, "?detailType=PostCreated")] == [1, 3]
    assert [i["detail"]["n"] for i in _get(client, "?detailType=PostCreated,NoteShared")] == [1, 2, 3]
    everything = _get(client)
    assert [i["detail"]["n"] for i in _get(client, f"?after={everything[1]['id']}")] == [2, 3]
    assert _get(client, f"?after={everything[-1]['id']}") == []
    _put(events, bus, "SummaryPublished", {"n": 4})
    newer = _get(client, f"?after={everything[-1]['id']}")
    assert [i["detailType"] for i in newer] == ["SummaryPublished"]
    assert [
        i["detail"]["n"] for i in _get(client, f"?after={everything[1]['id']}&detailType=PostCreated")
    ] == [3]


def test_keeps_only_the_newest_events_and_an_unknown_after_returns_all_it_holds(tapped):
    _tap, events, bus, client = tapped
    for n in range(8):
        _put(events, bus, "PostCreated", {"n": n})

    held = _get(client)
    assert [i["detail"]["n"] for i in held] == [3, 4, 5, 6, 7]  # a ring of 5
    assert _get(client, "?after=no-longer-held") == held


def test_events_of_other_buses_are_not_listed(tapped):
    _tap, events, _bus, client = tapped
    events.put_events(Entries=[{"Source": "x", "DetailType": "OnDefaultBus", "Detail": "{}"}])
    assert _get(client) == []


def test_other_paths_under_the_prefix_are_not_found(tapped):
    *_, client = tapped
    assert client.get("/_local/eventsx").status_code == 404
    assert client.get("/_local/events/").status_code == 200


def test_mounted_on_the_gateway_for_get_only(tapped, fixture_template):
    from local.gateway import Gateway

    tap, events, bus, _client = tapped
    gateway = Gateway(tap.stack, {})
    tap.mount(gateway)
    _put(events, bus, "EventCreated", {"id": "E9"})

    through_gateway = Client(gateway)
    reply = through_gateway.get("/_local/events?detailType=EventCreated")
    assert reply.status_code == 200
    assert [i["detail"]["id"] for i in reply.get_json()["items"]] == ["E9"]
    assert through_gateway.post("/_local/events").status_code == 404  # not an API route either


def test_the_local_runtime_serves_it_over_http(local_runtime):
    """The runner starts the tap on the stack's bus: an event put with boto3 shows up at the gateway."""
    events = local_runtime.local_stack.client("events")
    bus = local_runtime.local_stack.physical_id("Bus")
    _put(events, bus, "Pinged", {"from": "test_bus_tap"})

    reply = http("GET", f"{local_runtime.url}/_local/events?detailType=Pinged")

    assert reply.status == 200
    assert [i["detail"] for i in reply.json["items"]] == [{"from": "test_bus_tap"}]
