"""Follow live, end to end under the local runtime: a member connects to the WebSocket API with their
token, subscribes to an event, someone posts over HTTP, and the post arrives on the socket (the table's
stream -> the live-push worker's own filtered subscription, one tick -> @connections -> the client)."""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.flows import create_event, create_post, member_token

pytestmark = pytest.mark.flow


def test_a_post_is_pushed_to_a_subscribed_socket(stack):
    runtime, base = stack
    organiser = member_token(runtime, "live_olga", organiser=True)
    follower = member_token(runtime, "live_fiona")
    event_id = create_event(base, organiser, "Live Camp", "livecamp", days=2, visibility="public").json["id"]
    url = runtime.outputs["WebSocketUrl"]
    assert url.startswith("ws://127.0.0.1:")

    with pytest.raises(InvalidStatus) as refused:
        connect(f"{url}?token=not.a.jwt", open_timeout=10)
    assert refused.value.response.status_code == 401

    with connect(f"{url}?token={follower}", open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "eventId": event_id}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "subscribed", "eventId": event_id}

        post = create_post(base, organiser, event_id, "Live now #livecamp").json
        runtime.pumps.drain()
        deadline = time.monotonic() + 10
        while True:
            message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("type") == "posts":  # a tick: the new posts of the topic
                break
        assert message["eventId"] == event_id
        assert [p["id"] for p in message["posts"]] == [post["id"]]
        assert message["posts"][0]["text"] == "Live now #livecamp"
        assert "more" not in message
