"""``/_local/webhooks/<name>`` (local.webhook_receiver): deliveries recorded as a Standard Webhooks receiver."""

from __future__ import annotations

import json
import time

import pytest
from werkzeug.test import Client

from backchannel.circulation.transports import webhooks
from local.webhook_receiver import WebhookReceiver

URL = "/_local/webhooks/alice"


@pytest.fixture
def client() -> Client:
    return Client(WebhookReceiver(max_items=5))


def _deliver(client: Client, body: bytes | str, *, webhook_id: str | None = "msg_1", **headers: str):
    if webhook_id is not None:
        headers["webhook-id"] = webhook_id
    return client.post(URL, data=body, headers={"Content-Type": "application/json", **headers})


def _listing(client: Client, url: str = URL) -> dict:
    reply = client.get(url)
    assert reply.status_code == 200, reply.data
    return reply.get_json()


def test_records_a_delivery_and_answers_204(client):
    reply = _deliver(client, json.dumps({"type": "pack.published", "data": {"packId": "P1"}}), X_Extra="yes")

    assert reply.status_code == 204
    assert reply.data == b""
    (item,) = _listing(client)["items"]
    assert item["body"] == {"type": "pack.published", "data": {"packId": "P1"}}
    assert item["webhookId"] == "msg_1"
    assert item["headers"]["webhook-id"] == "msg_1"
    assert item["headers"]["x-extra"] == "yes"
    assert item["headers"]["content-type"] == "application/json"
    assert (item["answered"], item["duplicate"]) == (204, False)
    assert item["receivedAt"].endswith("Z")
    assert "signatureValid" not in item
    assert _listing(client, "/_local/webhooks/bob") == {"items": [], "unique": 0}


def test_a_body_that_is_not_json_is_kept_as_text(client):
    _deliver(client, "plain words", webhook_id=None)
    assert _listing(client)["items"][0]["body"] == "plain words"


def test_a_repeated_webhook_id_is_a_duplicate_answered_2xx_and_counted_once(client):
    assert _deliver(client, "{}", webhook_id="msg_1").status_code == 204
    assert _deliver(client, "{}", webhook_id="msg_1").status_code == 204
    _deliver(client, "{}", webhook_id="msg_2")

    listing = _listing(client)
    assert [i["duplicate"] for i in listing["items"]] == [False, True, False]
    assert listing["unique"] == 2


def test_injected_failures_are_answered_and_recorded_and_a_retry_after_them_is_not_a_duplicate(client):
    reply = client.post(f"{URL}/fail", json={"times": 2, "status": 503})
    assert reply.status_code == 200
    assert reply.get_json()["failNext"] == {"times": 2, "status": 503}

    answers = [_deliver(client, "{}", webhook_id="msg_1").status_code for _ in range(3)]

    assert answers == [503, 503, 204]
    listing = _listing(client)
    assert [(i["answered"], i["duplicate"]) for i in listing["items"]] == [
        (503, False),
        (503, False),
        (204, False),
    ]
    assert listing["unique"] == 1
    assert client.post(f"{URL}/fail", json={"times": -1}).status_code == 400
    assert client.post(f"{URL}/fail", json={"times": 1, "status": 200}).status_code == 400


def test_delete_forgets_the_name(client):
    _deliver(client, "{}")
    client.post(f"{URL}/fail", json={"times": 1})

    assert client.delete(URL).status_code == 204
    assert _listing(client) == {"items": [], "unique": 0}
    assert _deliver(client, "{}").status_code == 204  # the pending failure went too


def test_keeps_the_newest_deliveries_per_name(client):
    for n in range(8):
        _deliver(client, json.dumps({"n": n}), webhook_id=f"msg_{n}")
    assert [i["body"]["n"] for i in _listing(client)["items"]] == [3, 4, 5, 6, 7]


def test_with_a_secret_signatures_are_checked_the_senders_way(client):
    secret = webhooks.new_secret()
    assert client.put(f"{URL}/secret", json={"secret": secret}).status_code == 204
    body = b'{"type":"pack.published"}'
    now = int(time.time())

    _deliver(client, body, webhook_id=None, **webhooks.headers(secret, "msg_1", now, body))
    _deliver(client, body, webhook_id=None, **webhooks.headers(webhooks.new_secret(), "msg_2", now, body))
    _deliver(client, body, webhook_id=None, **webhooks.headers(secret, "msg_3", now - 3600, body))

    assert [i["signatureValid"] for i in _listing(client)["items"]] == [True, False, False]
    assert client.put(f"{URL}/secret", json={"secret": "whsec_not base64!"}).status_code == 400


def test_unknown_paths_and_methods(client):
    assert client.get("/_local/webhooks").status_code == 404
    assert client.get(f"{URL}/other").status_code == 404
    reply = client.put(URL)
    assert reply.status_code == 405
    assert reply.headers["Allow"] == "GET, POST, DELETE"
    assert client.get(f"{URL}/fail").status_code == 405
    assert client.post(f"{URL}/fail", data="not json").status_code == 400
