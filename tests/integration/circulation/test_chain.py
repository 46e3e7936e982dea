"""Circulation through the real chain on moto built from template.yaml: the network and packs APIs ->
the table's stream -> the router -> the bus -> the template's rules -> the fan-out and delivery queues
-> the workers -> what recipients observe: the inbox, the mail SES accepted, the requests a webhook
receiver and a Mastodon instance got (local HTTP servers on loopback, allowed by the allow list)."""

from __future__ import annotations

import json

from local.pumps import Pumps
from tests.support.circulation import WORKERS, Runtime, email_channel, follow, ready_personal_pack, sent_mail
from tests.support.mastodon import mastodon_server


def mastodon_channel(api, who, mastodon, token: str) -> dict:
    """A Mastodon channel of ``who`` on the local instance ``mastodon``, posting with ``token``."""
    body = {"type": "mastodon", "instanceUrl": mastodon.url, "accessToken": token}
    r = api.post("/me/channels", body, as_=who)
    assert r.status == 201, r
    return r.json


# -- the network ------------------------------------------------------------------------------------


def test_follow_unfollow_and_the_public_profile_counts(api, alice, bob, event):
    assert api.patch("/me", {"handle": "bob"}, as_=bob).status == 200
    api.get("/me", as_=alice)
    r = api.post("/me/follows", {"type": "member", "id": bob.sub}, as_=alice)
    assert r.status == 201 and r.json["id"] == f"member-{bob.sub}"
    assert (
        api.post("/me/follows", {"type": "member", "id": bob.sub}, as_=alice).status == 200
    )  # the same follow
    assert api.post("/me/follows", {"type": "event", "id": event["id"]}, as_=alice).status == 201
    profile = api.get("/members/bob").json
    assert (profile["followers"], profile["following"]) == (1, 0)
    assert api.get("/members/bob", as_=alice).json["followedByYou"] is True
    mine = api.get("/me/follows", as_=alice).json["items"]
    assert {(f["type"], f["targetId"]) for f in mine} == {("member", bob.sub), ("event", event["id"])}
    assert api.delete(f"/me/follows/member-{bob.sub}", as_=alice).status == 204
    assert api.delete(f"/me/follows/member-{bob.sub}", as_=alice).status == 404
    assert api.get("/members/bob").json["followers"] == 0
    assert api.get("/members/nobody-here").status == 404


def test_follows_are_checked(api, alice, bob, make_event):
    api.get("/me", as_=bob)
    me = api.post("/me/follows", {"type": "member", "id": alice.sub}, as_=alice)
    assert me.status == 422 and me.json["errors"][0]["field"] == "id"
    assert api.post("/me/follows", {"type": "member", "id": "01NOSUCHMEMBER"}, as_=alice).status == 422
    private = make_event(visibility="private", hashtag="Hidden1")
    assert api.post("/me/follows", {"type": "event", "id": private["id"]}, as_=alice).status == 404
    bad = api.post("/me/follows", {"type": "hashtag", "id": "x"}, as_=alice)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "type"


def test_a_block_removes_follows_both_ways_and_stops_new_ones(api, alice, bob):
    api.get("/me", as_=alice)
    api.get("/me", as_=bob)
    follow(api, alice, "member", bob.sub)
    follow(api, bob, "member", alice.sub)
    r = api.post("/me/blocks", {"memberId": alice.sub}, as_=bob)
    assert r.status == 201
    assert api.get("/me/follows", as_=alice).json["items"] == []
    assert api.get("/me/follows", as_=bob).json["items"] == []
    assert api.post("/me/follows", {"type": "member", "id": bob.sub}, as_=alice).status == 403
    assert [b["memberId"] for b in api.get("/me/blocks", as_=bob).json["items"]] == [alice.sub]
    assert api.delete(f"/me/blocks/{alice.sub}", as_=bob).status == 204
    assert api.post("/me/follows", {"type": "member", "id": bob.sub}, as_=alice).status == 201


# -- channels ---------------------------------------------------------------------------------------


def test_a_webhook_secret_is_shown_once_and_unsafe_urls_are_refused(api, alice, loopback):
    r = api.post("/me/channels", {"type": "webhook", "url": "https://93.184.215.14/hook"}, as_=alice)
    assert r.status == 201 and r.json["secret"].startswith("whsec_"), r
    listed = api.get("/me/channels", as_=alice).json["items"]
    assert listed and all("secret" not in c for c in listed)
    for url in (
        "http://93.184.215.14/hook",
        "https://10.0.0.5/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00:ec2::254]/",
        "https://localhost/hook",
    ):
        refused = api.post("/me/channels", {"type": "webhook", "url": url}, as_=alice)
        assert refused.status == 422 and refused.json["errors"][0]["field"] == "url", (url, refused)
    missing = api.post(
        "/me/channels", {"type": "mastodon", "instanceUrl": "https://93.184.215.14"}, as_=alice
    )
    assert missing.status == 422 and missing.json["errors"][0]["field"] == "accessToken"


def test_secrets_are_sealed_in_the_table(api, aws, alice, loopback):
    with mastodon_server(tokens={"tok-very-secret"}) as mastodon:
        loopback.allow(mastodon.url)
        r = api.post(
            "/me/channels",
            {"type": "mastodon", "instanceUrl": mastodon.url, "accessToken": "tok-very-secret"},
            as_=alice,
        )
    assert r.status == 201 and "accessToken" not in r.json
    table = aws.client("dynamodb")
    item = table.get_item(
        TableName=aws.outputs["DataTableName"],
        Key={"pk": {"S": f"MEMBER#{alice.sub}"}, "sk": {"S": f"CHANNEL#{r.json['id']}"}},
    )["Item"]
    assert "tok-very-secret" not in json.dumps(item)


def test_a_mastodon_token_is_checked_with_the_instance_when_the_channel_is_added(api, alice, loopback):
    with mastodon_server(tokens={"good-token"}) as mastodon:
        loopback.allow(mastodon.url)
        bad = api.post(
            "/me/channels",
            {"type": "mastodon", "instanceUrl": mastodon.url, "accessToken": "typo-token"},
            as_=alice,
        )
        assert bad.status == 422 and bad.json["errors"][0]["field"] == "accessToken", bad
        assert "refused this token" in bad.json["errors"][0]["message"]
        mastodon.fail_next(1, 503)
        down = api.post(
            "/me/channels",
            {"type": "mastodon", "instanceUrl": mastodon.url, "accessToken": "good-token"},
            as_=alice,
        )
        assert down.status == 422 and down.json["errors"][0]["field"] == "instanceUrl", down
        good = mastodon_channel(api, alice, mastodon, "good-token")
        asked = [(q.method, q.path, q.headers["authorization"]) for q in mastodon.requests]
    assert asked == [
        ("GET", "/api/v1/accounts/verify_credentials", f"Bearer {t}")
        for t in ("typo-token", "good-token", "good-token")
    ]
    assert [c["id"] for c in api.get("/me/channels", as_=alice).json["items"]] == [good["id"]]


def test_an_email_channel_is_verified_by_code_and_unsubscribed_in_one_click(api, alice, pumps):
    r = api.post("/me/channels", {"type": "email", "address": "alice@example.org"}, as_=alice)
    channel_id = r.json["id"]
    pumps.drain()
    assert api.post(f"/me/channels/{channel_id}/verification", {"code": "000000"}, as_=alice).status in (422,)
    email_channel_json = email_channel(api, pumps, alice, "alice2@example.org")
    assert email_channel_json["address"] == "alice2@example.org"


def test_a_feed_channel_gives_a_private_atom_feed(api, alice):
    r = api.post("/me/channels", {"type": "feed"}, as_=alice)
    assert r.status == 201
    url = r.json["feedUrl"]
    assert url.startswith("https://")  # absolute, as API Gateway reported the API's address
    path = url[url.index("/feeds/") :]
    feed = api.get(path)
    assert feed.status == 200 and feed.body.startswith(b"<?xml")
    assert api.delete(f"/me/channels/{r.json['id']}", as_=alice).status == 204
    assert api.get(path).status == 404


# -- circulating a pack -----------------------------------------------------------------------------


def test_bob_circulates_his_pack_and_alice_gets_it_once_on_every_channel(
    api, aws, alice, bob, event, pumps, receiver, loopback
):
    api.get("/me", as_=bob)  # members exist from their first signed-in call
    follow(api, alice, "member", bob.sub)
    email_channel(api, pumps, alice, "alice@example.org")
    hook = api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=alice).json
    with mastodon_server(tokens={"alice-token"}) as mastodon:
        loopback.allow(mastodon.url)
        mastodon_channel(api, alice, mastodon, "alice-token")
        pack = ready_personal_pack(api, pumps, bob, event)
        r = api.post(f"/packs/{pack['id']}/publish", as_=bob)
        assert r.status == 202 and r.json["version"] == pack["readyVersion"], r
        assert api.post(f"/packs/{pack['id']}/publish", as_=bob).status == 200  # the same publication
        pumps.drain()

        inbox = api.get("/me/inbox", as_=alice).json["items"]
        assert [(e["packId"], e["version"]) for e in inbox] == [(pack["id"], pack["readyVersion"])]
        assert api.get(f"/me/inbox/{inbox[0]['id']}/download", as_=alice).status == 302
        mails = [m for m in sent_mail("alice@example.org") if "code" not in m["Subject"]]
        assert len(mails) == 1
        assert mails[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert [p.get_content_type() for p in mails[0].iter_parts()] == ["text/plain", "text/html"]
        got = receiver.delivered(hook["secret"])
        assert [d["type"] for d in got] == ["pack.published"] and got[0]["data"]["packId"] == pack["id"]
        link = got[0]["data"]["url"]
        assert api.get(link[link.index("/circulated/") :]).status == 302  # the link works without sign-in
        posts = [q for q in mastodon.requests if q.method == "POST"]
        assert len(posts) == 1 and posts[0].headers["idempotency-key"].startswith("dlv_")
        assert posts[0].headers["authorization"] == "Bearer alice-token"
        # nothing more for bob's own inbox: he is the sender
        assert api.get("/me/inbox", as_=bob).json["items"] == []

        summary = api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"][0]
        assert summary["recipients"] == 1 and summary["status"] == "enqueued"
        for channel in ("inbox", "email", "webhook", "mastodon"):
            assert summary["byChannel"][channel]["sent"] == 1, summary
        assert api.get(f"/packs/{pack['id']}/deliveries", as_=alice).status == 404


def test_a_redelivered_job_has_no_second_effect(api, aws, alice, bob, event, pumps, receiver):
    api.get("/me", as_=bob)  # members exist from their first signed-in call
    follow(api, alice, "member", bob.sub)
    hook = api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=alice).json
    pack = ready_personal_pack(api, pumps, bob, event)
    api.post(f"/packs/{pack['id']}/publish", as_=bob)
    pumps.drain()
    queue_url = aws.physical_id("DeliveryQueue")
    for channel_id, channel_type in (("inbox", "inbox"), (hook["id"], "webhook")):
        message = {
            "kind": "publish",
            "packId": pack["id"],
            "version": pack["readyVersion"],
            "recipientId": alice.sub,
            "channelId": channel_id,
            "channelType": channel_type,
        }
        aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))
    pumps.drain()
    assert len(api.get("/me/inbox", as_=alice).json["items"]) == 1
    assert len(receiver.requests) == 1


def test_a_failing_webhook_is_retried_and_delivered_once(api, alice, bob, event, pumps, receiver):
    api.get("/me", as_=bob)  # members exist from their first signed-in call
    follow(api, alice, "member", bob.sub)
    hook = api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=alice).json
    receiver.answers = [503, 500]
    pack = ready_personal_pack(api, pumps, bob, event)
    api.post(f"/packs/{pack['id']}/publish", as_=bob)
    pumps.drain()
    assert [r["headers"]["webhook-id"] for r in receiver.requests].count(
        receiver.requests[0]["headers"]["webhook-id"]
    ) == 3
    assert len(receiver.delivered(hook["secret"])) == 1
    summary = api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"][0]
    assert summary["byChannel"]["webhook"]["sent"] == 1


def test_after_the_last_attempt_the_delivery_is_failed_and_dead_lettered(
    api, aws, alice, bob, event, pumps, receiver
):
    api.get("/me", as_=bob)  # members exist from their first signed-in call
    follow(api, alice, "member", bob.sub)
    api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=alice)
    receiver.answers = [503] * 10
    pack = ready_personal_pack(api, pumps, bob, event)
    api.post(f"/packs/{pack['id']}/publish", as_=bob)
    pumps.drain()
    assert len(receiver.requests) == 5  # DeliveryMaxAttempts
    summary = api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"][0]
    assert summary["byChannel"]["webhook"] | {} == {
        "queued": 0,
        "held": 0,
        "sent": 0,
        "failed": 1,
        "skipped": 0,
    }
    assert summary["byChannel"]["inbox"]["sent"] == 1
    dlq = aws.physical_id("DeliveryDLQ")
    messages = aws.client("sqs").receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert len(messages) == 1 and json.loads(messages[0]["Body"])["channelType"] == "webhook"


def test_a_refusing_webhook_fails_at_once(api, alice, bob, event, pumps, receiver):
    api.get("/me", as_=bob)  # members exist from their first signed-in call
    follow(api, alice, "member", bob.sub)
    api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=alice)
    receiver.answers = [400]
    pack = ready_personal_pack(api, pumps, bob, event)
    api.post(f"/packs/{pack['id']}/publish", as_=bob)
    pumps.drain()
    assert len(receiver.requests) == 1
    summary = api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"][0]
    assert summary["byChannel"]["webhook"]["failed"] == 1


def test_blocked_members_and_unsubscribed_channels_get_nothing(api, alice, bob, event, pumps):
    carol = api.user("carol")
    api.get("/me", as_=bob)
    for who in (alice, carol):
        follow(api, who, "member", bob.sub)
    channel = email_channel(api, pumps, carol, "carol@example.org")
    unsubscribe = [m for m in sent_mail("carol@example.org") if "code" in m["Subject"]]
    assert unsubscribe  # the code mail (no unsubscribe link: it is not a list)
    api.get("/me", as_=alice)
    assert api.post("/me/blocks", {"memberId": alice.sub}, as_=bob).status == 201
    follow(api, alice, "event", event["id"])  # alice follows the event, not bob: still nothing of his
    pack = ready_personal_pack(api, pumps, bob, event)
    api.post(f"/packs/{pack['id']}/publish", as_=bob)
    pumps.drain()
    assert api.get("/me/inbox", as_=alice).json["items"] == []
    assert len(api.get("/me/inbox", as_=carol).json["items"]) == 1
    mail = [m for m in sent_mail("carol@example.org") if "code" not in m["Subject"]]
    assert len(mail) == 1
    link = mail[0]["List-Unsubscribe"].strip("<>")
    path = link[link.index("/unsubscribe/") :]
    assert api.get(path).status == 200  # a page with a button: nothing changes on GET
    assert api.get("/me/channels", as_=carol).json["items"][0]["status"] == "active"
    r = api.request(
        "POST",
        path,
        body="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status == 200
    assert api.get("/me/channels", as_=carol).json["items"][0]["status"] == "unsubscribed"
    assert channel["id"] == api.get("/me/channels", as_=carol).json["items"][0]["id"]


def test_only_its_member_circulates_a_personal_pack_and_only_ready_packs(api, alice, bob, event, pumps):
    pack = ready_personal_pack(api, pumps, bob, event)
    assert api.post(f"/packs/{pack['id']}/publish", as_=alice).status == 404
    assert api.post("/packs/01NOSUCHPACK/publish", as_=bob).status == 404


def test_a_withdrawn_note_retracts_the_circulated_pack(
    api, alice, bob, event, make_session, pumps, receiver, loopback
):
    session = make_session(event)
    api.get("/me", as_=bob)  # members exist from their first signed-in call
    follow(api, alice, "member", bob.sub)
    hook = api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=alice).json
    with mastodon_server(tokens={"alice-token"}) as mastodon:
        loopback.allow(mastodon.url)
        mastodon_channel(api, alice, mastodon, "alice-token")
        assert api.post(f"/events/{event['id']}/attendance", {}, as_=bob).status == 201
        note = api.post(
            f"/sessions/{session['id']}/notes",
            {"body": "My notes on #learning", "visibility": "public", "shareInPacks": True},
            as_=bob,
        )
        assert note.status == 201, note
        pack = ready_personal_pack(api, pumps, bob, event)
        api.post(f"/packs/{pack['id']}/publish", as_=bob)
        pumps.drain()
        assert api.delete(f"/notes/{note.json['id']}", as_=bob).status == 204
        pumps.drain()
        kinds = [d["type"] for d in receiver.delivered(hook["secret"])]
        assert kinds == ["pack.published", "pack.retracted"]
        deletes = [q for q in mastodon.requests if q.method == "DELETE"]
        assert len(deletes) == 1 and deletes[0].path.startswith("/api/v1/statuses/")
        entry = api.get("/me/inbox", as_=alice).json["items"][0]
        assert entry["version"] == pack["readyVersion"] and entry["available"] == "yes"
        [pub] = api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"]
        assert pub["revision"] == 2  # the edition alice fetches was rebuilt without the note
        assert api.get(f"/me/inbox/{entry['id']}/download", as_=alice).status == 302


def test_a_digest_channel_gets_one_mail_a_day_with_every_pack_held_for_it(
    api, alice, bob, event, make_session, pumps
):
    api.get("/me", as_=bob)
    follow(api, alice, "member", bob.sub)
    email_channel(api, pumps, alice, "digest@example.org", mode="digest")
    pack = ready_personal_pack(api, pumps, bob, event)
    api.post(f"/packs/{pack['id']}/publish", as_=bob)
    pumps.drain()
    assert [m for m in sent_mail("digest@example.org") if "code" not in m["Subject"]] == []
    email = api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"][0]["byChannel"]["email"]
    assert (email["held"], email["sent"]) == (1, 0)
    assert len(api.get("/me/inbox", as_=alice).json["items"]) == 1  # the inbox is never held back

    schedule = {"detail-type": "Scheduled Event", "source": "aws.events", "time": "2030-06-02T07:00:00Z"}
    assert api.invoke("DeliveryWorkerFunction", schedule) == {"digests": 1}
    pumps.drain()
    assert api.invoke("DeliveryWorkerFunction", schedule) == {"digests": 0}  # nothing held any more
    pumps.drain()
    digests = [m for m in sent_mail("digest@example.org") if "code" not in m["Subject"]]
    assert len(digests) == 1 and digests[0]["Subject"] == "Your daily digest: 1 conference pack"
    assert "/circulated/" in digests[0].get_body(("plain",)).get_content()
    email = api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"][0]["byChannel"]["email"]
    assert (email["held"], email["sent"]) == (0, 1)


def test_a_redelivered_publication_is_not_fanned_out_again(api, aws, alice, bob, event, pumps):
    api.get("/me", as_=bob)
    follow(api, alice, "member", bob.sub)
    pack = ready_personal_pack(api, pumps, bob, event)
    api.post(f"/packs/{pack['id']}/publish", as_=bob)
    pumps.drain()
    message = {
        "detail-type": "PackPublished",
        "source": "backchannel",
        "detail": {"packId": pack["id"], "version": pack["readyVersion"]},
    }
    deliveries_before = [name for name, _ in api.invocations].count("DeliveryWorkerFunction")
    aws.client("sqs").send_message(QueueUrl=aws.physical_id("FanoutQueue"), MessageBody=json.dumps(message))
    pumps.drain()
    invoked = [name for name, _ in api.invocations]
    assert invoked[-1] == "FanoutWorkerFunction"  # it ran, and enqueued nothing new:
    assert invoked.count("DeliveryWorkerFunction") == deliveries_before
    assert len(api.get("/me/inbox", as_=alice).json["items"]) == 1


def test_the_fan_out_sends_full_batches_of_ten(api, aws, alice, bob, event, pumps, receiver, monkeypatch):
    """SendMessageBatch takes 10 messages; the fan-out reads recipients 100 at a time, and carries the
    jobs left over from one hundred into the next batch, so only the very last batch is partial."""
    import boto3

    from backchannel.circulation import queue

    api.get("/me", as_=bob)
    follow(api, alice, "member", bob.sub)
    hook = api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=alice).json
    followers = [api.user(f"follower{n}") for n in range(136)]
    for follower in followers:
        follow(api, follower, "member", bob.sub)
    pack = ready_personal_pack(api, pumps, bob, event)
    sizes: list[int] = []
    sqs = boto3.client("sqs", region_name="us-east-1")  # what the workers get, with a hook that counts
    sqs.meta.events.register(
        "before-parameter-build.sqs.SendMessageBatch",
        lambda params, **_: sizes.append(len(params["Entries"])),
    )
    monkeypatch.setattr(queue, "sqs_client", lambda: sqs)
    api.post(f"/packs/{pack['id']}/publish", as_=bob)
    upstream = Pumps(aws, {name: Runtime(api, name) for name in WORKERS[:3]})  # not the delivery worker
    upstream.drain()

    assert sizes == [10] * 13 + [8], sizes
    queued = []
    while batch := sqs.receive_message(QueueUrl=aws.physical_id("DeliveryQueue"), MaxNumberOfMessages=10).get(
        "Messages"
    ):
        queued += [json.loads(m["Body"]) for m in batch]
    jobs = sorted((j["recipientId"], j["channelId"]) for j in queued)
    expected = [(f.sub, "inbox") for f in (alice, *followers)] + [(alice.sub, hook["id"])]
    assert jobs == sorted(expected)
    summary = api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"][0]
    assert (summary["status"], summary["recipients"], summary["deliveries"]) == ("enqueued", 137, 138)
