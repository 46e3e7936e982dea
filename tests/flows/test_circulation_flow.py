"""Circulation end to end through the local runtime, as under `make run`: alice follows bob; bob
circulates his personal pack; alice's inbox, her mail at /_local/mail and her webhook receiver at
/_local/webhooks/alice each get it exactly once, also when the delivery worker fails after doing its
work (a fault injected at /_local/faults: the whole batch comes back) and when her receiver answers
503 once (that delivery is retried after its back-off)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.flows import attend, create_event, member_token
from tests.support.runtime import http

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module")
def stack():
    from tests.support.runtime import local_runtime

    # A failed invocation's messages come back after 1 s instead of the queue's 180 s.
    with local_runtime(demo=False, sqs_retry_visibility=1) as (runtime, base_url):
        yield runtime, base_url


def test_alice_gets_bobs_pack_once_on_every_channel_despite_failures(stack):
    runtime, base = stack
    olga = member_token(runtime, "flow_olga", organiser=True)
    alice = member_token(runtime, "flow_alice")
    bob = member_token(runtime, "flow_bob")
    bob_id = http("GET", f"{base}/me", token=bob).json["id"]
    start = dt.date.today() + dt.timedelta(days=3)
    event = create_event(
        base, olga, "Circulation Camp", "circcamp", starts_on=start, visibility="public"
    ).json
    attend(base, bob, event["id"])

    # alice follows bob, and chooses email and a webhook besides her inbox
    assert (
        http("POST", f"{base}/me/follows", token=alice, json_body={"type": "member", "id": bob_id}).status
        == 201
    )
    channel = http(
        "POST", f"{base}/me/channels", token=alice, json_body={"type": "email", "address": "alice@flow.test"}
    )
    assert channel.status == 201, channel.body
    runtime.pumps.drain()
    code_mail = http("GET", f"{base}/_local/mail?to=alice@flow.test").json["items"][-1]
    code = code_mail["subject"].rsplit(" ", 1)[-1]
    verified = http(
        "POST", f"{base}/me/channels/{channel.json['id']}/verification", token=alice, json_body={"code": code}
    )
    assert verified.status == 200 and verified.json["status"] == "active", verified.body
    hook_url = f"{runtime.webhook_url}/_local/webhooks/alice"
    hook = http("POST", f"{base}/me/channels", token=alice, json_body={"type": "webhook", "url": hook_url})
    assert hook.status == 201, hook.body
    assert http("PUT", f"{hook_url}/secret", json_body={"secret": hook.json["secret"]}).status in (200, 204)
    # the allow list names the receiver's origin only: loopback elsewhere is refused as anywhere
    for url in ("https://127.0.0.1/hook", f"{runtime.aws_endpoint}/", f"{base}/_local/webhooks/alice"):
        refused = http("POST", f"{base}/me/channels", token=alice, json_body={"type": "webhook", "url": url})
        assert refused.status == 422 and refused.json["errors"][0]["field"] == "url", (url, refused.body)

    # bob's personal pack, built
    pack = http("POST", f"{base}/me/packs", token=bob, json_body={"eventId": event["id"]}).json
    runtime.pumps.drain()
    assert http("GET", f"{base}/packs/{pack['id']}", token=bob).json["status"] == "ready"

    # things go wrong: the delivery worker fails after its first batch's work, the receiver answers 503 once
    assert (
        http("POST", f"{base}/_local/faults", json_body={"function": "DeliveryWorkerFunction"}).status == 201
    )
    assert http("POST", f"{hook_url}/fail", json_body={"times": 1, "status": 503}).status in (200, 201, 204)

    published = http("POST", f"{base}/packs/{pack['id']}/publish", token=bob)
    assert published.status == 202, published.body
    runtime.pumps.drain(timeout=60)

    inbox = http("GET", f"{base}/me/inbox", token=alice).json["items"]
    assert [e["packId"] for e in inbox] == [pack["id"]]
    mails = [
        m for m in http("GET", f"{base}/_local/mail?to=alice@flow.test").json["items"] if m is not code_mail
    ]
    pack_mails = [m for m in mails if "code" not in m["subject"]]
    assert len(pack_mails) == 1, [m["subject"] for m in mails]
    assert pack_mails[0]["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    received = http("GET", hook_url).json
    accepted = [d for d in received["items"] if d.get("answered", 204) < 300]
    assert received["unique"] == 1 and len({d["headers"]["webhook-id"] for d in accepted}) == 1, received
    assert any(d.get("answered") == 503 for d in received["items"])  # the failed attempt, then the retry
    assert all(d.get("signatureValid") for d in received["items"])
    summary = http("GET", f"{base}/packs/{pack['id']}/deliveries", token=bob).json["publications"][0]
    assert {c: summary["byChannel"][c]["sent"] for c in ("inbox", "email", "webhook")} == {
        "inbox": 1,
        "email": 1,
        "webhook": 1,
    }, summary
    assert http("GET", f"{base}/_local/faults").json["armed"] == {}  # the fault did fire
