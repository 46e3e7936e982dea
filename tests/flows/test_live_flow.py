"""Follow live, end to end under the local runtime: a member connects to the WebSocket API with their
token, subscribes to an event, someone posts over HTTP, and the post arrives on the socket (stream ->
router -> bus -> rule -> queue -> live-push worker -> @connections -> the client)."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.runtime import http

pytestmark = pytest.mark.flow


def test_a_post_is_pushed_to_a_subscribed_socket(stack):
    from local.user import create_user

    runtime, base = stack
    organiser = create_user(runtime.outputs, "live_olga", organiser=True)["token"]
    follower = create_user(runtime.outputs, "live_fiona")["token"]
    start = dt.date.today() + dt.timedelta(days=1)
    r = http(
        "POST",
        f"{base}/events",
        token=organiser,
        json_body={
            "name": "Live Camp",
            "hashtag": "livecamp",
            "startsOn": str(start),
            "endsOn": str(start + dt.timedelta(days=1)),
            "timezone": "UTC",
            "visibility": "public",
        },
    )
    assert r.status == 201, r.body
    event_id = r.json["id"]
    url = runtime.outputs["WebSocketUrl"]
    assert url.startswith("ws://127.0.0.1:")

    with pytest.raises(InvalidStatus) as refused:
        connect(f"{url}?token=not.a.jwt", open_timeout=10)
    assert refused.value.response.status_code == 401

    with connect(f"{url}?token={follower}", open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "eventId": event_id}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "subscribed", "eventId": event_id}

        r = http(
            "POST",
            f"{base}/events/{event_id}/posts",
            token=organiser,
            json_body={"text": "Live now #livecamp"},
        )
        assert r.status == 201, r.body
        runtime.pumps.drain()
        deadline = time.monotonic() + 10
        while True:
            message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("type") == "post.created":
                break
        assert message["eventId"] == event_id
        assert message["post"]["id"] == r.json["id"]
        assert message["post"]["text"] == "Live now #livecamp"
