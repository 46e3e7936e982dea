"""Live on moto built from template.yaml: the WebSocket routes through the real handler (API Gateway
WebSocket events), and the push worker fed by the real chain (API -> the table's stream -> the worker's
own subscription, filtered as the template says). API Gateway's management API is a botocore Stubber
(410 Gone, 429 LimitExceeded) or a client that records what each connection would receive."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from backchannel.live.sender import ApiGatewaySender
from local.pumps import Pumps

SOCKET = "LiveSocketFunction"
PUSH = "LivePushFunction"


def ws_event(route: str, connection_id: str, body: Any = None, query: dict | None = None) -> dict:
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route,
            "eventType": event_type,
            "connectionId": connection_id,
            "messageDirection": "IN",
            "stage": "live",
            "apiId": "abcdef1234",
            "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "requestId": str(uuid.uuid4()),
            "connectedAt": 1796115000000,
            "requestTimeEpoch": 1796115000123,
            "identity": {"sourceIp": "192.0.2.10"},
        },
        "isBase64Encoded": False,
    }
    if query is not None:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


class Socket:
    """One WebSocket connection as API Gateway would drive the socket function."""

    def __init__(self, api, connection_id: str, token: str | None = None) -> None:
        self.api = api
        self.id = connection_id
        self.connect_reply = api.invoke(
            SOCKET, ws_event("$connect", connection_id, query={"token": token} if token else None)
        )

    def send(self, action: str, **fields: str) -> tuple[int, dict]:
        reply = self.api.invoke(SOCKET, ws_event(action, self.id, {"action": action, **fields}))
        return reply["statusCode"], json.loads(reply["body"])

    def close(self) -> int:
        return self.api.invoke(SOCKET, ws_event("$disconnect", self.id))["statusCode"]


def connections_table(aws):
    return boto3.resource("dynamodb", region_name="us-east-1").Table(aws.physical_id("ConnectionsTable"))


def items_of(aws, connection_id: str) -> list[dict]:
    table = connections_table(aws)
    return table.query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"CONN#{connection_id}"}
    )["Items"]


class RecordingManagementApi:
    """What each connection would receive through post_to_connection."""

    def __init__(self) -> None:
        self.received: dict[str, list[dict]] = {}

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> dict:
        self.received.setdefault(ConnectionId, []).append(json.loads(Data))
        return {}


@pytest.fixture
def management(monkeypatch):
    from functions.live_push import app

    client = RecordingManagementApi()
    monkeypatch.setattr(app, "sender", lambda: ApiGatewaySender(client, sleep=lambda _s: None))
    return client


@pytest.fixture
def pumps(pumps_of):
    return pumps_of(PUSH)


# -- the WebSocket routes -----------------------------------------------------------------------------


def test_connect_subscribe_unsubscribe_disconnect(api, aws, make_event, alice):
    event = make_event()
    socket = Socket(api, "conn-alice=", alice.token)
    assert socket.connect_reply["statusCode"] == 200
    [meta] = items_of(aws, socket.id)
    assert meta["memberId"] == alice.sub and meta["expiresAt"] > 0

    assert socket.send("subscribe", eventId=event["id"]) == (
        200,
        {"type": "subscribed", "eventId": event["id"]},
    )
    assert {i["sk"] for i in items_of(aws, socket.id)} == {"META", f"SUB#event#{event['id']}"}
    assert socket.send("unsubscribe", eventId=event["id"])[0] == 200
    assert {i["sk"] for i in items_of(aws, socket.id)} == {"META"}

    assert socket.close() == 200
    assert items_of(aws, socket.id) == []


def test_an_invalid_token_refuses_the_connection_and_none_is_anonymous(api, aws, make_event):
    refused = Socket(api, "conn-bad=", "not.a.jwt")
    assert refused.connect_reply["statusCode"] == 401
    assert items_of(aws, "conn-bad=") == []

    anonymous = Socket(api, "conn-anon=")
    assert anonymous.connect_reply["statusCode"] == 200
    assert "memberId" not in items_of(aws, "conn-anon=")[0]
    assert anonymous.send("subscribe", eventId=make_event()["id"])[0] == 200


def test_private_events_are_followed_by_their_people_only(api, make_event, make_session, olga, bob):
    event = make_event(visibility="private", hashtag="secretcamp")
    session = make_session(event)
    outsider, stranger, organiser = (
        Socket(api, "b=", bob.token),
        Socket(api, "a="),
        Socket(api, "o=", olga.token),
    )
    for sock in (outsider, stranger):
        for topic in ({"eventId": event["id"]}, {"sessionId": session["id"]}):
            status, body = sock.send("subscribe", **topic)
            assert (status, body["type"], body["status"]) == (404, "error", 404)
    assert organiser.send("subscribe", sessionId=session["id"])[0] == 200


def test_a_connection_s_subscribes_are_limited_and_so_are_its_topics(
    api, make_event, make_session, alice, monkeypatch
):
    from tests.support.limits import frozen_clock, rate_limits

    rate_limits(api.stack, "subscribe=4/1m")
    api.stack.functions[SOCKET].environment["LIVE_MAX_TOPICS"] = "2"  # as LiveMaxTopics=2 would
    clock = frozen_clock(monkeypatch, 1_800_000_000 + 20)
    event = make_event()
    first, second = make_session(event, hour=9), make_session(event, hour=11)
    socket, other = Socket(api, "lim-1=", alice.token), Socket(api, "lim-2=", alice.token)

    assert socket.send("subscribe", eventId=event["id"])[0] == 200
    assert socket.send("subscribe", sessionId=first["id"])[0] == 200
    status, refused = socket.send("subscribe", sessionId=second["id"])  # a third topic
    assert (status, refused["type"], refused["status"]) == (409, "error", 409)
    assert refused["detail"] == "a connection may follow at most 2 events and sessions"
    assert socket.send("unsubscribe", eventId=event["id"])[0] == 200  # the fourth action this minute
    status, limited = socket.send("subscribe", sessionId=second["id"])
    assert status == 429
    assert {k: limited[k] for k in ("type", "status", "limit", "rate", "window", "retryAfter")} == {
        "type": "error",
        "status": 429,
        "limit": "subscribe",
        "rate": 4,
        "window": 60,
        "retryAfter": 40,
    }
    assert other.send("subscribe", eventId=event["id"])[0] == 200  # another connection: its own count
    clock.now += 40
    assert socket.send("subscribe", sessionId=second["id"]) == (
        200,
        {"type": "subscribed", "sessionId": second["id"]},
    )


def test_bad_messages_get_errors_not_failures(api):
    sock = Socket(api, "c=")
    assert sock.send("subscribe")[0] == 422
    reply = api.invoke(SOCKET, ws_event("subscribe", "c=", "not json"))
    assert reply["statusCode"] == 400
    reply = api.invoke(SOCKET, ws_event("$default", "c=", {"action": "dance"}))
    assert reply["statusCode"] == 400 and json.loads(reply["body"])["type"] == "error"
    assert Socket(api, "ghost=").close() == 200  # $disconnect of what is already gone


@pytest.mark.parametrize("route", ["subscribe", "unsubscribe", "$default"])
def test_json_nested_too_deeply_gets_a_clear_error(api, route):
    Socket(api, "deep=")
    reply = api.invoke(SOCKET, ws_event(route, "deep=", "[" * 5000 + "]" * 5000))
    body = json.loads(reply["body"])
    assert (reply["statusCode"], body["type"], body["status"]) == (400, "error", 400)
    assert body["detail"] == "the message's JSON is nested too deeply"


# -- the push worker -------------------------------------------------------------------------------------


def test_a_post_reaches_its_followers_through_the_whole_chain(
    api, aws, make_event, make_session, olga, alice, bob, pumps, management
):
    public = make_event()
    session = make_session(public)
    private = make_event(visibility="private", hashtag="secretcamp")
    Socket(api, "event-fan=").send("subscribe", eventId=public["id"])
    Socket(api, "session-fan=", alice.token).send("subscribe", sessionId=session["id"])
    Socket(api, "organiser=", olga.token).send("subscribe", eventId=private["id"])
    outsider = Socket(api, "outsider=", bob.token)
    assert outsider.send("subscribe", eventId=private["id"])[0] == 404

    r = api.post(
        f"/events/{public['id']}/posts", {"text": "live #camp", "sessionId": session["id"]}, as_=alice
    )
    assert r.status == 201, r
    r = api.post(f"/events/{private['id']}/posts", {"text": "secret #camp"}, as_=olga)
    assert r.status == 201, r
    pumps.drain()

    got = {
        cid: [(m["type"], [p["text"] for p in m["posts"]]) for m in msgs]
        for cid, msgs in management.received.items()
    }
    assert got == {
        "event-fan=": [("posts", ["live #camp"])],
        "session-fan=": [("posts", ["live #camp"])],
        "organiser=": [("posts", ["secret #camp"])],
    }
    assert management.received["session-fan="][0]["sessionId"] == session["id"]


def test_a_topic_s_subscriptions_are_spread_over_index_keys_and_all_read_back(
    api, aws, make_event, alice, pumps, management
):
    """A subscribe is two writes on the ``topic`` index: a topic's subscriptions are spread over 8 keys
    by connection (a keynote's joiners stay far below 1,000 writes a second on any key), and the
    tick's claimant reads them all back: every follower gets the post."""
    event = make_event()
    fans = [f"spread-{n}=" for n in range(12)]
    for fan in fans:
        assert Socket(api, fan).send("subscribe", eventId=event["id"])[0] == 200
    keys = {i["topic"] for fan in fans for i in items_of(aws, fan) if i["sk"].startswith("SUB#")}
    assert len(keys) > 1 and all(k.startswith(f"event#{event['id']}#") for k in keys)
    post(api, event["id"], alice)
    pumps.drain()
    assert sorted(management.received) == sorted(fans)


def test_a_deleted_post_reaches_its_followers_and_nothing_else_reaches_the_worker(
    api, aws, make_event, alice, subscription, management
):
    """The subscription's filter: a post's removal passes on its old image; the event's own changes and
    a note (no live news) are dropped before the worker runs."""
    event = make_event()
    Socket(api, "fan=").send("subscribe", eventId=event["id"])
    assert api.post(f"/events/{event['id']}/attendance", {}, as_=alice).status == 201
    post_id = post(api, event["id"], alice)
    assert api.delete(f"/posts/{post_id}", as_=alice).status == 204
    batch = subscription()
    names = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in batch["Records"]]
    assert names == [("INSERT", f"POST#{post_id}"), ("REMOVE", f"POST#{post_id}")]  # no membership
    assert api.invoke(PUSH, batch) == {"batchItemFailures": []}
    got = [m["type"] for m in management.received["fan="]]
    assert got == ["post.deleted"]  # the tick reads the posts it shows: this one was gone already


class Captured:
    """The push worker's subscription, read by the local pumps (its filter applied) but not invoked:
    the batches it would get, so that a test invokes the worker with them itself."""

    def __init__(self) -> None:
        self.records: list[dict] = []

    def invoke(self, event: dict) -> dict:
        self.records += event["Records"]
        return {"batchItemFailures": []}


@pytest.fixture
def subscription(aws):
    """``subscription()``: the stream records the push worker's subscription got since the fixture
    was made (it starts at LATEST, as the template says), as one Lambda event."""
    captured = Captured()
    pumps = Pumps(aws, {PUSH: captured})

    def read() -> dict:
        pumps.drain()
        records, captured.records = captured.records, []
        return {"Records": records}

    return read


def post(api, event_id: str, author, text: str = "hi #camp") -> str:
    r = api.post(f"/events/{event_id}/posts", {"text": text}, as_=author)
    assert r.status == 201, r
    return r.json["id"]


@pytest.fixture
def stubbed(monkeypatch):
    from functions.live_push import app

    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://abcdef1234.execute-api.us-east-1.amazonaws.com/live",
        region_name="us-east-1",
    )
    sleeps: list[float] = []
    monkeypatch.setattr(app, "sender", lambda: ApiGatewaySender(client, sleep=sleeps.append))
    with Stubber(client) as stubber:
        yield stubber, sleeps


def test_a_gone_connection_is_deleted(api, aws, make_event, alice, monkeypatch, subscription):
    from botocore.exceptions import ClientError

    from functions.live_push import app

    class GoneOrRecorded(RecordingManagementApi):
        def post_to_connection(self, ConnectionId: str, Data: bytes) -> dict:
            if ConnectionId == "a-gone=":
                error = {"Error": {"Code": "GoneException"}, "ResponseMetadata": {"HTTPStatusCode": 410}}
                raise ClientError(error, "PostToConnection")
            return super().post_to_connection(ConnectionId=ConnectionId, Data=Data)

    client = GoneOrRecorded()
    monkeypatch.setattr(app, "sender", lambda: ApiGatewaySender(client, sleep=lambda _s: None))
    event = make_event()
    Socket(api, "a-gone=").send("subscribe", eventId=event["id"])
    Socket(api, "b-alive=").send("subscribe", eventId=event["id"])
    post(api, event["id"], alice)
    assert api.invoke(PUSH, subscription()) == {"batchItemFailures": []}
    assert list(client.received) == ["b-alive="]
    assert items_of(aws, "a-gone=") == []
    assert len(items_of(aws, "b-alive=")) == 2


def test_a_throttled_connection_is_handed_on_alone_and_fails_its_job_at_the_last_attempt(
    api, aws, make_event, alice, stubbed, subscription
):
    """The claimant's 429s (after the sender's own tries) go to the chunks queue as a job of their own,
    so the post is not retried and nobody else gets the tick twice; a job still throttled at its last
    attempt fails (partial batch response): the queue's redrive takes it to the DLQ."""
    stubber, sleeps = stubbed
    event = make_event()
    Socket(api, "slow=").send("subscribe", eventId=event["id"])
    for _ in range(6):  # Config.push_attempts, twice
        stubber.add_client_error(
            "post_to_connection",
            "LimitExceededException",
            http_status_code=429,
            expected_params={"ConnectionId": "slow=", "Data": ANY},
        )
    post(api, event["id"], alice)
    assert api.invoke(PUSH, subscription()) == {"batchItemFailures": []}
    [job] = queued(aws, "LiveChunksQueue")
    body = json.loads(job["body"])
    assert (body["connections"], body["attempt"], body["message"]["type"]) == (["slow="], 2, "posts")

    last = {**job, "body": json.dumps({**body, "attempt": 3})}  # Config: 3 attempts a connection
    result = api.invoke(PUSH, {"Records": [last]})
    assert result == {"batchItemFailures": [{"itemIdentifier": job["messageId"]}]}
    stubber.assert_no_pending_responses()
    assert sleeps == [0.2, 0.4, 0.2, 0.4]
    assert len(items_of(aws, "slow=")) == 2  # throttled is not gone


def queued(aws, logical_id: str, wait_s: float = 5) -> list[dict]:
    """The messages of a queue (delayed ones too, waiting up to ``wait_s``) as SQS event records."""
    sqs, url = aws.client("sqs"), aws.physical_id(logical_id)
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=int(wait_s))
    return [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{logical_id}",
            "awsRegion": "us-east-1",
        }
        for m in found.get("Messages", [])
    ]


# -- ticks: a burst coalesced, and nothing lost ------------------------------------------------------


def test_a_burst_is_one_message_a_follower_and_its_marker_loads_every_other_post(
    api, aws, make_event, alice, subscription, management
):
    from tests.support.limits import rate_limits

    rate_limits(api.stack, "posts=30/1m")  # a keynote's burst from one member: above a person's limit
    event = make_event()
    Socket(api, "keynote-fan=").send("subscribe", eventId=event["id"])
    posted = [post(api, event["id"], alice, f"burst {n} #camp") for n in range(30)]
    batch = subscription()
    assert len(batch["Records"]) == 30

    assert api.invoke(PUSH, batch) == {"batchItemFailures": []}  # one batch, one tick

    [tick] = management.received["keynote-fan="]
    shown = [p["id"] for p in tick["posts"]]
    assert len(shown) == 10 and tick["more"]["count"] == 20  # Config.live_tick_sample
    assert shown == posted[::-1][:10]
    # The marker's cursor is the feed's own: it returns the 20 others, newest first, across 4 shards.
    page = api.get(
        f"/events/{event['id']}/posts", query={"cursor": tick["more"]["cursor"], "limit": "20"}
    ).json
    assert [p["id"] for p in page["items"]] == posted[::-1][10:]


def test_a_slot_is_claimed_once_and_a_part_refused_after_its_close_goes_to_the_next(aws, monkeypatch):
    from backchannel.core import config
    from backchannel.live.connections import DynamoConnectionsRepo
    from backchannel.live.model import TickPart

    monkeypatch.setenv("CONNECTIONS_TABLE_NAME", aws.physical_id("ConnectionsTable"))
    monkeypatch.setenv("DATA_TABLE_NAME", aws.physical_id("DataTable"))  # the transactions' connection
    config.reset()
    repo = DynamoConnectionsRepo()
    first, second = TickPart("w1", 3, [("S3", "p3")]), TickPart("w2", 2, [("S5", "p5"), ("S4", "p4")])
    assert repo.add_to_tick("event#E1", 1000, first)
    assert repo.claim_tick("event#E1", 1000)
    assert repo.add_to_tick("event#E1", 1000, second)
    assert not repo.claim_tick("event#E1", 1000)  # one sender per slot
    assert sorted(repo.close_tick("event#E1", 1000), key=lambda p: p.id) == [first, second]
    late = TickPart("w3", 1, [("S6", "p6")])
    assert not repo.add_to_tick("event#E1", 1000, late)  # closed: this part goes to the next slot
    assert repo.add_to_tick("event#E1", 1250, late)
    assert repo.close_tick("event#E1", 1250) == [late]
    config.reset()
