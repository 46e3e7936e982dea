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


def test_a_hashtag_post_on_the_fake_mastodon_reaches_the_feed_and_the_socket(stack):
    """Collect, end to end: the demo's collection ran at start; an organiser attaches the fake Mastodon
    instance to a new event, a status is published there, one cycle later it is in the event's feed
    and a follower's socket got it, showing where it comes from (sync -> queue -> collect worker ->
    post item -> stream -> live push)."""

    runtime, base = stack
    runtime.pumps.drain()
    demo_posts = _get(f"{base}/events/{runtime.demo_result['event_id']}/posts")["items"]
    assert sorted(p["origin"]["handle"].split("@")[1] for p in demo_posts if p["origin"]) == ["ada", "grace"]

    organiser = member_token(runtime, "collect_olga", organiser=True)
    follower = member_token(runtime, "collect_fiona")
    event_id = create_event(base, organiser, "Collect Camp", "collectcamp", days=2, visibility="public").json[
        "id"
    ]
    source = _send(
        f"{base}/events/{event_id}/sources",
        {"type": "mastodon", "instance": f"{base}/_local/mastodon"},
        organiser,
    )
    with connect(f"{runtime.outputs['WebSocketUrl']}?token={follower}", open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "eventId": event_id}))
        assert json.loads(ws.recv(timeout=10))["type"] == "subscribed"
        status = _send(
            f"{base}/_local/mastodon/statuses", {"text": "Hello #collectcamp", "account": {"username": "ada"}}
        )
        _send(f"{base}/events/{event_id}/sources/{source['id']}/sync", {}, organiser)
        runtime.pumps.drain()
        deadline = time.monotonic() + 10
        while (message := json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))).get(
            "type"
        ) != "posts":
            pass
    pushed = message["posts"][0]
    assert pushed["text"] == "Hello #collectcamp" and pushed["author"]["id"] is None
    assert pushed["origin"]["url"] == status["url"]
    assert [p["id"] for p in _get(f"{base}/events/{event_id}/posts")["items"]] == [pushed["id"]]
    listed = _get(f"{base}/events/{event_id}/sources", organiser)["items"]
    assert listed[0]["postsCollected"] == 1 and listed[0]["lastError"] is None


def _send(url: str, body: dict, token: str | None = None) -> dict:
    import urllib.request

    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


def _get(url: str, token: str | None = None) -> dict:
    import urllib.request

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as answer:
        return json.loads(answer.read())
