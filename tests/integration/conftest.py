from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.pumps import Pumps
from tests.support.circulation import WORKERS, Receiver, Runtime


@pytest.fixture
def data_table(aws, monkeypatch):
    """The main table of the moto stack as the repositories' table: a ``Dynamo*Repo`` made in the test
    is bound to it (the configuration is read afresh before and after)."""
    from backchannel.core import config

    name = aws.physical_id("DataTable")
    monkeypatch.setenv("DATA_TABLE_NAME", name)
    config.reset()
    yield name
    config.reset()


@pytest.fixture
def olga(api):
    """An organiser (member of the organisers group)."""
    return api.user("olga", organiser=True)


@pytest.fixture
def oscar(api):
    """Another organiser, of other events."""
    return api.user("oscar", organiser=True)


@pytest.fixture
def alice(api):
    return api.user("alice")


@pytest.fixture
def bob(api):
    return api.user("bob")


def future_event(**overrides) -> dict:
    start = dt.date.today() + dt.timedelta(days=10)
    body = {
        "name": "Learning at Work Week",
        "hashtag": "LAWW",
        "startsOn": start.isoformat(),
        "endsOn": (start + dt.timedelta(days=2)).isoformat(),
        "timezone": "Europe/London",
        "description": "Networked for learning",
        "visibility": "public",
        "codeOfConductUrl": "https://example.org/coc",
    }
    body.update(overrides)
    return body


def session_body(event: dict, day: int = 0, hour: int = 9, **overrides) -> dict:
    date = dt.date.fromisoformat(event["startsOn"]) + dt.timedelta(days=day)
    body = {
        "title": "Opening keynote",
        "abstract": "Why we learn in networks",
        "speakers": [{"name": "Jane Hart", "link": "https://example.org/jane"}],
        "room": "Main hall",
        "track": "Plenary",
        "startsAt": f"{date}T{hour:02d}:00:00+00:00",
        "endsAt": f"{date}T{hour:02d}:45:00+00:00",
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_event(api, olga):
    def make(owner=None, **overrides):
        r = api.post("/events", future_event(**overrides), as_=owner or olga)
        assert r.status == 201, r
        return r.json

    return make


@pytest.fixture
def make_session(api, olga):
    def make(event, owner=None, **overrides):
        r = api.post(f"/events/{event['id']}/sessions", session_body(event, **overrides), as_=owner or olga)
        assert r.status == 201, r
        return r.json

    return make


@pytest.fixture
def event(make_event):
    """A public event organised by olga."""
    return make_event()


@pytest.fixture
def session(make_session, event):
    """A session of ``event``."""
    return make_session(event)


def pages(api, path: str, *, limit: int, as_=None, **query) -> Iterator[list[dict]]:
    """The items of each page of a list read through the API, following ``nextCursor`` (every reply a
    200). Lazy: what the caller does between two pages happens before the next one is read."""
    cursor = None
    while True:
        r = api.get(path, as_=as_, query={**query, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert r.status == 200, r
        yield r.json["items"]
        cursor = r.json["nextCursor"]
        if not cursor:
            return


class BusTap:
    """A queue of the test's own as one more target on the domain bus: of the template's ``rule``
    (a logical id), or else of a rule of its own matching every backchannel event."""

    def __init__(self, aws, name: str, rule: str | None = None) -> None:
        self.sqs = aws.client("sqs")
        events = aws.client("events")
        bus = aws.physical_id("EventBus")
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        if rule is None:
            pattern = json.dumps({"source": ["backchannel"]})
            events.put_rule(Name=name, EventBusName=bus, EventPattern=pattern)
        target = {"Id": name, "Arn": attributes["Attributes"]["QueueArn"]}
        events.put_targets(Rule=aws.physical_id(rule) if rule else name, EventBusName=bus, Targets=[target])

    def messages(self) -> list[dict[str, Any]]:
        """Every SQS message the queue received since the last call (consumed)."""
        received = []
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages"):
            for message in batch:
                received.append(message)
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return received

    def read(self) -> list[dict[str, Any]]:
        """Every event delivered since the last read, as EventBridge envelopes (consumed)."""
        return [json.loads(m["Body"]) for m in self.messages()]


# -- circulation: the chain through the workers, driven by the local pumps -----------------------------


class Loopback:
    """The local runtime's setting: ``allow(origin, ...)`` lets webhooks and Mastodon reach exactly
    those ``http://127.0.0.1:<port>`` origins (over http); failed deliveries are retried within seconds."""

    def __init__(self, aws) -> None:
        self.specs = [s for s in aws.functions.values() if "OUTBOUND_ALLOW_LIST" in s.environment]
        self.origins: list[str] = []
        for spec in self.specs:
            spec.environment["DELIVERY_RETRY_BASE_SECONDS"] = "1"

    def allow(self, *origins: str) -> None:
        self.origins += origins
        for spec in self.specs:
            spec.environment["OUTBOUND_ALLOW_LIST"] = ",".join(self.origins)


@pytest.fixture
def loopback(aws):
    return Loopback(aws)


@pytest.fixture
def pumps_of(aws, api):
    """``pumps_of(*logical_ids)``: the event sources of those functions (stream, queues), driven by the
    test through the local pumps; each function runs its real handler in its own environment through
    the ApiClient; a failed message is retried at once."""

    def make(*logical_ids: str) -> Pumps:
        return Pumps(aws, {name: Runtime(api, name) for name in logical_ids}, sqs_retry_visibility=0)

    return make


@pytest.fixture
def pumps(aws, pumps_of, loopback):
    group = aws.stack.physical_ids["PacksScheduleGroup"]
    aws.client("scheduler").create_schedule_group(Name=group)
    return pumps_of(*WORKERS)


@pytest.fixture
def receiver(loopback):
    found = Receiver()
    loopback.allow(found.origin)
    yield found
    found.server.shutdown()
    found.server.server_close()
