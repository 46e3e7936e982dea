"""Moderation end to end under the local runtime, as under `make run`: bob follows a session with a
webhook and gets its published pack; carol watches the event's page live (a WebSocket); carol reports
alice's post; the organiser finds it in the queue and hides it. The post leaves the event feed and
the open socket gets ``post.hidden`` (the page drops it), the session's pack is rebuilt without it,
and bob's webhook gets the retraction of the edition he was sent."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from websockets.sync.client import connect

from tests.support.flows import create_event, create_session, member_token
from tests.support.runtime import http

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module")
def stack():
    from tests.support.runtime import local_runtime

    with local_runtime(demo=False) as (runtime, base_url):
        yield runtime, base_url


def _until(ws, kind: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message.get("type") == kind:
            return message


def test_a_reported_post_is_hidden_everywhere_and_its_circulation_retracted(stack):
    runtime, base = stack
    olga = member_token(runtime, "mod_olga", organiser=True)
    alice, bob, carol = (member_token(runtime, f"mod_{n}") for n in ("alice", "bob", "carol"))
    start = dt.date.today() + dt.timedelta(days=1)
    event_id = create_event(base, olga, "Mod Camp", "modcamp", starts_on=start, visibility="public").json[
        "id"
    ]
    session_id = create_session(
        base, olga, event_id, "Keynote", f"{start}T09:00:00Z", f"{start}T10:00:00Z"
    ).json["id"]
    rant = "A pile-on against the speaker https://example.org/pile #modcamp"
    post = http(
        "POST",
        f"{base}/events/{event_id}/posts",
        token=alice,
        json_body={"text": rant, "sessionId": session_id},
    ).json

    # bob follows the session, with a webhook
    follow = {"type": "session", "id": session_id}
    assert http("POST", f"{base}/me/follows", token=bob, json_body=follow).status == 201
    hook_url = f"{runtime.webhook_url}/_local/webhooks/mod_bob"
    hook = http("POST", f"{base}/me/channels", token=bob, json_body={"type": "webhook", "url": hook_url})
    assert hook.status == 201, hook.body
    assert http("PUT", f"{hook_url}/secret", json_body={"secret": hook.json["secret"]}).status in (200, 204)

    # the session's pack, built with the post and published: bob's webhook gets it
    pack_id = http("POST", f"{base}/sessions/{session_id}/packs", token=olga).json["id"]
    runtime.pumps.drain(timeout=120)
    assert rant.encode() in http("GET", f"{base}/packs/{pack_id}/download?format=html", token=olga).body
    resources = http("GET", f"{base}/events/{event_id}/resources").json["items"]
    assert [r["url"] for r in resources] == ["https://example.org/pile"]
    assert http("POST", f"{base}/packs/{pack_id}/publish", token=olga).status == 202
    runtime.pumps.drain(timeout=120)
    kinds = [d["body"]["type"] for d in http("GET", hook_url).json["items"]]
    assert kinds == ["pack.published"]

    with connect(f"{runtime.outputs['WebSocketUrl']}?token={carol}", open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "eventId": event_id}))
        assert _until(ws, "subscribed")["eventId"] == event_id

        report = {"type": "post", "id": post["id"], "reason": "harassment"}
        assert http("POST", f"{base}/events/{event_id}/reports", token=carol, json_body=report).status == 201
        queue = http("GET", f"{base}/events/{event_id}/reports", token=olga).json["items"]
        assert [q["itemId"] for q in queue] == [post["id"]]
        decision = {"hidden": True, "reason": "harassment of the speaker"}
        assert (
            http("PUT", f"{base}/posts/{post['id']}/moderation", token=olga, json_body=decision).status == 200
        )
        runtime.pumps.drain(timeout=120)

        hidden = _until(ws, "post.hidden")
        assert hidden["post"]["id"] == post["id"] and hidden["eventId"] == event_id

    assert http("GET", f"{base}/events/{event_id}/posts").json["items"] == []
    assert http("GET", f"{base}/events/{event_id}/resources").json["items"] == []
    assert rant.encode() not in http("GET", f"{base}/events/{event_id}/feed.atom").body
    assert http("GET", f"{base}/packs/{pack_id}", token=olga).json["status"] == "ready"
    rebuilt = http("GET", f"{base}/packs/{pack_id}/download?format=html", token=olga).body
    assert b"Keynote" in rebuilt and rant.encode() not in rebuilt
    delivered = http("GET", hook_url).json
    assert [d["body"]["type"] for d in delivered["items"]] == ["pack.published", "pack.retracted"]
    assert all(d.get("signatureValid") for d in delivered["items"])
    log = http("GET", f"{base}/events/{event_id}/moderation-log", token=olga).json["items"]
    assert [(e["action"], e["reason"]) for e in log] == [("post.hidden", "harassment of the speaker")]
