"""The local WebSocket API, on moto built from template.yaml, with a stand-in for the socket function
(what it is sent, what it answers): the event shapes, refusals, routing, route responses, and the
management API (@connections) that functions reach through their configured endpoint."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from local.websocket_gateway import WebSocketGateway, websocket_apis

SOCKET = "LiveSocketFunction"


class SocketFunction:
    """Refuses ?token=bad with 401; echoes messages of routes with a response."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        route = event["requestContext"]["routeKey"]
        if route == "$connect" and (event.get("queryStringParameters") or {}).get("token") == "bad":
            return {"statusCode": 401, "body": '{"title":"Unauthorized"}'}
        if route == "$default":
            return {"statusCode": 400, "body": json.dumps({"type": "error", "status": 400})}
        return {
            "statusCode": 200,
            "body": json.dumps({"type": "echo", "route": route, "got": event.get("body")}),
        }

    def of(self, route: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["requestContext"]["routeKey"] == route]


@pytest.fixture
def function():
    return SocketFunction()


@pytest.fixture
def gateway(aws, function):
    [api] = websocket_apis(aws)
    gw = WebSocketGateway(aws, {SOCKET: function}, api).start()
    yield gw
    gw.stop()


def wait_for(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_the_template_routes_are_read(aws):
    [api] = websocket_apis(aws)
    assert api.routes == {
        key: SOCKET for key in ("$connect", "$disconnect", "subscribe", "unsubscribe", "$default")
    }
    assert api.route_responses == {"subscribe", "unsubscribe", "$default"}
    assert (api.stage, api.selection_field) == ("live", "action")


def test_a_session_is_connect_messages_and_disconnect(gateway, function):
    with connect(f"{gateway.url}?token=abc", open_timeout=5) as ws:
        [opened] = function.of("$connect")
        context = opened["requestContext"]
        assert (context["eventType"], context["stage"]) == ("CONNECT", "live")
        assert opened["queryStringParameters"] == {"token": "abc"}
        connection_id = context["connectionId"]

        ws.send(json.dumps({"action": "subscribe", "eventId": "E1"}))
        reply = json.loads(ws.recv(timeout=5))
        assert (reply["route"], json.loads(reply["got"])) == (
            "subscribe",
            {"action": "subscribe", "eventId": "E1"},
        )
        [message] = function.of("subscribe")
        assert message["requestContext"]["eventType"] == "MESSAGE"
        assert message["requestContext"]["connectionId"] == connection_id

        ws.send(json.dumps({"action": "dance"}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "error", "status": 400}
        ws.send("not json")
        assert json.loads(ws.recv(timeout=5))["status"] == 400
        assert len(function.of("$default")) == 2

    [closed] = wait_for(lambda: function.of("$disconnect"))
    assert closed["requestContext"]["eventType"] == "DISCONNECT"
    assert closed["requestContext"]["connectionId"] == connection_id


def test_a_refused_connect_is_the_functions_status(gateway, function):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{gateway.url}?token=bad", open_timeout=5)
    assert refused.value.response.status_code == 401
    assert gateway.clients == {}


def test_the_management_api_reaches_connections_and_gone_is_410(aws, gateway, function):
    endpoint = aws.functions["LivePushFunction"].environment["WEBSOCKET_ENDPOINT"]
    assert endpoint == gateway.management_url  # the functions' AWS endpoint, mapped locally
    client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, region_name="us-east-1")
    with connect(gateway.url, open_timeout=5) as ws:
        connection_id = function.of("$connect")[0]["requestContext"]["connectionId"]
        wait_for(lambda: connection_id in gateway.clients)
        client.post_to_connection(ConnectionId=connection_id, Data=b'{"type":"post.created"}')
        assert json.loads(ws.recv(timeout=5)) == {"type": "post.created"}
        assert "ConnectedAt" in client.get_connection(ConnectionId=connection_id)

        with pytest.raises(ClientError) as gone:
            client.post_to_connection(ConnectionId="nobody=", Data=b"{}")
        assert gone.value.response["Error"]["Code"] == "GoneException"
        assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410

        client.delete_connection(ConnectionId=connection_id)
        wait_for(lambda: function.of("$disconnect"))
    with pytest.raises(ClientError):
        client.post_to_connection(ConnectionId=connection_id, Data=b"{}")


def test_the_websocket_url_is_localised(aws, gateway):
    remote = f"wss://{gateway.api.api_ref}.execute-api.us-east-1.amazonaws.com/live"
    assert aws.outputs["WebSocketUrl"] == remote
    assert gateway.localise(remote) == gateway.url
