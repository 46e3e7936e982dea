"""Circulation's guards, observed through the API, the table, the mail SES accepted and what a webhook
receiver got: keyed verification codes with capped tries, capped verification mail, a webhook's 410,
one link per delivery however often it is retried, and clearing a digest under throttling."""

from __future__ import annotations

import hashlib
import json

import pytest
from botocore.exceptions import ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

from tests.support.circulation import follow, ready_personal_pack, sent_mail
from tests.support.limits import rate_limits


def _codes(address: str) -> list[str]:
    return [m["Subject"].rsplit(" ", 1)[-1] for m in sent_mail(address) if "code" in m["Subject"]]


def _add_email(api, who, address: str):
    return api.post("/me/channels", {"type": "email", "address": address}, as_=who)


def _channel_item(aws, member_id: str, channel_id: str) -> dict:
    return aws.client("dynamodb").get_item(
        TableName=aws.outputs["DataTableName"],
        Key={"pk": {"S": f"MEMBER#{member_id}"}, "sk": {"S": f"CHANNEL#{channel_id}"}},
    )["Item"]


# -- verification codes -------------------------------------------------------------------------------


def test_the_stored_code_is_keyed_and_five_wrong_tries_void_it(api, aws, alice, pumps):
    channel = _add_email(api, alice, "alice@example.org").json
    pumps.drain()
    [code] = _codes("alice@example.org")
    stored = _channel_item(aws, alice.sub, channel["id"])["codeHash"]["S"]
    # an unkeyed hash of six digits would be found by trying them all: the stored value is keyed
    unkeyed = {
        hashlib.sha256(f"{prefix}{channel['id']}:{code}".encode()).hexdigest() for prefix in ("", "code:")
    }
    assert stored not in unkeyed and code not in stored

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    path = f"/me/channels/{channel['id']}/verification"
    answers = [api.post(path, {"code": wrong}, as_=alice) for _ in range(5)]
    assert [a.status for a in answers] == [422] * 5
    assert [a.json["errors"][0]["message"] for a in answers][-2:] == [
        "is not the code we sent (1 tries left)",
        "is not the code we sent (0 tries left)",
    ]
    void = api.post(path, {"code": code}, as_=alice)  # the right code, too late
    assert void.status == 409 and "no longer works" in void.json["detail"], void
    assert api.get("/me/channels", as_=alice).json["items"][0]["status"] == "pending"


def test_the_right_code_within_the_tries_activates_the_channel(api, alice, pumps):
    channel = _add_email(api, alice, "alice@example.org").json
    pumps.drain()
    [code] = _codes("alice@example.org")
    path = f"/me/channels/{channel['id']}/verification"
    for _ in range(4):
        assert api.post(path, {"code": f"{(int(code) + 7) % 10**6:06d}"}, as_=alice).status == 422
    assert api.post(path, {"code": code}, as_=alice).json["status"] == "active"


# -- verification mail caps ---------------------------------------------------------------------------


def test_an_address_gets_three_verification_mails_a_day_however_channels_come_and_go(api, alice, bob, pumps):
    for _ in range(3):
        added = _add_email(api, alice, "victim@example.org")
        assert added.status == 201, added
        pumps.drain()  # the code is mailed
        assert api.delete(f"/me/channels/{added.json['id']}", as_=alice).status == 204
    refused = _add_email(api, alice, "Victim@Example.org")
    assert refused.status == 429, refused
    assert refused.json["title"] == "Too many requests"
    assert "this address has had 3 verification mails today" in refused.json["detail"]
    assert _add_email(api, bob, "victim@example.org").status == 429  # whoever asks
    assert api.get("/me/channels", as_=alice).json["items"] == []  # nothing half-written
    pumps.drain()
    assert len(_codes("victim@example.org")) == 3


def test_a_member_causes_ten_verification_mails_a_day(api, alice):
    rate_limits(api.stack, "channels=30/1h")  # a day's channels in seconds: above a person's rate limit
    for n in range(10):  # counted when each channel is added, mailed or not
        added = _add_email(api, alice, f"someone{n}@example.org")
        assert added.status == 201, added
        assert api.delete(f"/me/channels/{added.json['id']}", as_=alice).status == 204
    refused = _add_email(api, alice, "someone-else@example.org")
    assert refused.status == 429 and "you have asked for 10" in refused.json["detail"], refused
    assert api.get("/me/channels", as_=alice).json["items"] == []


# -- webhooks -----------------------------------------------------------------------------------------


def _publish_to_alice(api, alice, bob, event, pumps):
    api.get("/me", as_=bob)  # members exist from their first signed-in call
    follow(api, alice, "member", bob.sub)
    pack = ready_personal_pack(api, pumps, bob, event)
    assert api.post(f"/packs/{pack['id']}/publish", as_=bob).status == 202
    pumps.drain()
    return pack


def test_a_webhook_answering_410_is_disabled_and_the_member_told_in_their_inbox(
    api, aws, alice, bob, event, pumps, receiver
):
    hook = api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=alice).json
    receiver.answers = [410]
    pack = _publish_to_alice(api, alice, bob, event, pumps)

    assert len(receiver.requests) == 1  # a 410 is not retried
    [channel] = api.get("/me/channels", as_=alice).json["items"]
    assert (channel["id"], channel["status"]) == (hook["id"], "disabled")
    inbox = api.get("/me/inbox", as_=alice).json["items"]
    notices = [e for e in inbox if e["kind"] == "channel-disabled"]
    assert [(n["channelId"], n["packId"]) for n in notices] == [(hook["id"], pack["id"])]
    assert "410 Gone" in notices[0]["title"] and "127.0.0.1" in notices[0]["title"]
    assert [e["kind"] for e in inbox].count("pack") == 1  # the pack itself, as ever

    # nothing more goes to it (here a retraction of that pack, enqueued for the channel)
    message = {
        "kind": "retract",
        "packId": pack["id"],
        "version": pack["readyVersion"],
        "recipientId": alice.sub,
        "channelId": hook["id"],
        "channelType": "webhook",
    }
    aws.client("sqs").send_message(QueueUrl=aws.physical_id("DeliveryQueue"), MessageBody=json.dumps(message))
    pumps.drain()
    assert len(receiver.requests) == 1


def test_a_digest_webhook_answering_410_is_disabled_too(api, alice, bob, event, pumps, receiver):
    hook = api.post(
        "/me/channels", {"type": "webhook", "url": receiver.url, "mode": "digest"}, as_=alice
    ).json
    pack = _publish_to_alice(api, alice, bob, event, pumps)
    assert receiver.requests == []  # held for the digest
    receiver.answers = [410]
    schedule = {"detail-type": "Scheduled Event", "source": "aws.events", "time": "2030-06-02T07:00:00Z"}
    assert api.invoke("DeliveryWorkerFunction", schedule) == {"digests": 1}
    pumps.drain()
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["pack.digest"]
    assert api.get("/me/channels", as_=alice).json["items"][0]["status"] == "disabled"
    notices = [e for e in api.get("/me/inbox", as_=alice).json["items"] if e["kind"] == "channel-disabled"]
    assert [(n["channelId"], n["packId"]) for n in notices] == [(hook["id"], pack["id"])]


def test_every_attempt_of_a_retried_webhook_sends_the_same_link(api, alice, bob, event, pumps, receiver):
    api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=alice)
    receiver.answers = [503, 503]
    _publish_to_alice(api, alice, bob, event, pumps)
    links = [json.loads(r["body"])["data"]["url"] for r in receiver.requests]
    assert len(links) == 3 and len(set(links)) == 1, links
    assert api.get(links[0][links[0].index("/circulated/") :]).status == 302


# -- clearing a digest ----------------------------------------------------------------------------------


@pytest.fixture
def held(api, aws, alice, bob, event, pumps, data_table):
    """One pack held for alice's digest webhook, and the repository that clears it."""
    from backchannel.circulation.dynamo import DynamoCirculationRepo

    hook = api.post(
        "/me/channels",
        {"type": "webhook", "url": "https://93.184.215.14/hook", "mode": "digest"},
        as_=alice,
    ).json
    pack = _publish_to_alice(api, alice, bob, event, pumps)
    repo = DynamoCirculationRepo()
    [entry] = repo.digest_entries(hook["id"])
    return repo, hook["id"], entry, pack


def _counts(api, bob, pack) -> dict:
    return api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"][0]["byChannel"]["webhook"]


def _failing(monkeypatch, codes: list[str]) -> list[str]:
    """Make the next transactions fail with these DynamoDB error codes, in turn; returns the list of
    codes raised so far."""
    raised: list[str] = []
    original = Connection.transact_write_items

    def transact(self, *args, **kwargs):
        if codes:
            code = codes.pop(0)
            raised.append(code)
            cause = ClientError({"Error": {"Code": code, "Message": code}}, "TransactWriteItems")
            raise TransactWriteError("Failed to write transaction items", cause=cause)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "transact_write_items", transact)
    return raised


def test_clearing_a_digest_retries_throttling_only(api, bob, held, monkeypatch):
    repo, channel_id, entry, pack = held
    no_sleep = {"sleep": lambda _s: None}
    _failing(monkeypatch, ["ValidationException"])  # not throttling: through at once
    with pytest.raises(TransactWriteError):
        repo.clear_digest(channel_id, [entry], **no_sleep)
    _failing(monkeypatch, ["ThrottlingException"] * 5)  # throttling that lasts: through, bounded
    with pytest.raises(TransactWriteError):
        repo.clear_digest(channel_id, [entry], **no_sleep)
    assert len(repo.digest_entries(channel_id)) == 1  # still held: the message comes back for it
    assert _counts(api, bob, pack)["held"] == 1

    raised = _failing(monkeypatch, ["ThrottlingException", "ProvisionedThroughputExceededException"])
    repo.clear_digest(channel_id, [entry], **no_sleep)
    assert len(raised) == 2
    assert repo.digest_entries(channel_id) == []
    assert (_counts(api, bob, pack)["held"], _counts(api, bob, pack)["sent"]) == (0, 1)
    repo.clear_digest(channel_id, [entry])  # again: its condition refuses, so it is done already
    assert _counts(api, bob, pack)["sent"] == 1
