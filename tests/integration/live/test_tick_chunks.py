"""A big tick's audience split over parallel invocations (``live.fanout``, the live chunks queue), on
moto built from template.yaml and driven by the local pumps: the claimant sends the first chunk, each
other chunk is one invocation from the queue, and every follower gets the tick exactly once, also when
API Gateway keeps throttling one of them for a while. The chunk is 2 connections here (``LIVE_TICK_CHUNK``)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from backchannel.live.sender import ApiGatewaySender
from local.pumps import Pumps
from tests.integration.live.test_socket_and_push import PUSH, Socket, post


class ManagementApi:
    """``post_to_connection`` as each connection would receive it; ``throttle[c]`` calls answer 429 first."""

    def __init__(self) -> None:
        self.received: dict[str, list[dict]] = {}
        self.calls: list[str] = []
        self.throttle: dict[str, int] = {}

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> dict:
        self.calls.append(ConnectionId)
        if self.throttle.get(ConnectionId, 0) > 0:
            self.throttle[ConnectionId] -= 1
            raise ClientError(
                {"Error": {"Code": "LimitExceededException"}, "ResponseMetadata": {"HTTPStatusCode": 429}},
                "PostToConnection",
            )
        self.received.setdefault(ConnectionId, []).append(json.loads(Data))
        return {}


class Invocations:
    """The push worker run for real, each invocation's source remembered."""

    def __init__(self, api) -> None:
        self.api, self.seen = api, []

    def invoke(self, event: dict) -> dict:
        source = event["Records"][0]["eventSource"]
        if source == "aws:sqs":
            self.seen.append([json.loads(r["body"])["connections"] for r in event["Records"]])
        else:
            self.seen.append(source)
        return self.api.invoke(PUSH, event)


@pytest.fixture
def management(api, monkeypatch):
    from functions.live_push import app

    client = ManagementApi()
    monkeypatch.setattr(app, "sender", lambda: ApiGatewaySender(client, sleep=lambda _s: None))
    api.stack.functions[PUSH].environment["LIVE_TICK_CHUNK"] = "2"
    return client


@pytest.fixture
def worker(aws, api):
    invocations = Invocations(api)
    return invocations, Pumps(aws, {PUSH: invocations}, sqs_retry_visibility=0)


def followers(api, make_event, n: int) -> tuple[dict, list[str]]:
    """An event and ``n`` anonymous sockets following it (``fan-0=`` ...)."""
    event = make_event()
    fans = [f"fan-{k}=" for k in range(n)]
    for fan in fans:
        Socket(api, fan).send("subscribe", eventId=event["id"])
    return event, fans


def test_a_tick_s_audience_is_split_over_parallel_invocations_and_each_follower_gets_it_once(
    api, make_event, alice, management, worker
):
    invocations, pumps = worker
    event, fans = followers(api, make_event, 5)
    post(api, event["id"], alice, "to five #camp")
    pumps.drain()

    assert invocations.seen[0] == "aws:dynamodb"  # the claimant: its own chunk of 2
    chunked = sorted(len(batch[0]) for batch in invocations.seen[1:])
    assert chunked == [1, 2], "the other 3 followers in chunks of at most 2, one invocation each"
    assert sorted(management.received) == fans
    for fan in fans:
        [tick] = management.received[fan]
        assert [p["text"] for p in tick["posts"]] == ["to five #camp"]


def test_a_connection_throttled_in_a_chunk_is_handed_on_alone_and_nobody_gets_the_tick_twice(
    api, make_event, alice, management, worker
):
    invocations, pumps = worker
    event, fans = followers(api, make_event, 4)
    management.throttle["fan-3="] = 3  # Config.push_attempts: one whole send throttled
    post(api, event["id"], alice)
    pumps.drain()

    assert {fan: len(got) for fan, got in management.received.items()} == {fan: 1 for fan in fans}
    assert management.calls.count("fan-3=") == 4  # 3 throttled, then sent
    assert all(management.calls.count(fan) == 1 for fan in fans[:3])
    jobs = [batch[0] for batch in invocations.seen[1:]]  # a chunk of 2, and fan-3= handed on alone
    assert sorted(len(job) for job in jobs) == [1, 2] and ["fan-3="] in jobs
