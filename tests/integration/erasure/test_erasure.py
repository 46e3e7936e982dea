"""Erasure: a member who did everything (an export of it all included) is erased (``DELETE /me``), then
every table, index, bucket (every object version, zips opened) and the log output of the erasure are scanned for their id,
handle, email, name and every text they wrote: none is found. Others' records keep what they need."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.support.circulation import WORKERS as CIRCULATION
from tests.support.circulation import edited_note, email_channel, ok, ready_personal_pack, scheduled_pumps

WORKERS = (*CIRCULATION, "ResourcesWorkerFunction", "ErasureWorkerFunction", "ExportWorkerFunction")
HOOK = "https://93.184.215.14/erin-hook-okapi"  # public, not on the allow list: its deliveries fail at once
TEXTS = (
    "zebra-post-of-erin",
    "quokka-note-of-erin",
    "quokka-note-edited",
    "narwhal-private-of-erin",
    "axolotl-question-of-erin",
    "https://example.org/erin-slides",
    HOOK,
)


@pytest.fixture
def pumps(aws, pumps_of, loopback):
    return scheduled_pumps(aws, pumps_of, *WORKERS)


def everything_stored(aws) -> list[str]:
    """Every item of every table (indexes project every attribute) and every version of every object
    in every bucket, as text (zips opened: an EPUB's words are compressed)."""
    found = []
    ddb = aws.client("dynamodb")
    for name in ddb.list_tables()["TableNames"]:
        for page in ddb.get_paginator("scan").paginate(TableName=name):
            found += [json.dumps(i, sort_keys=True) for i in page["Items"]]
    s3 = aws.client("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket["Name"]):
            for v in page.get("Versions", []):
                body = s3.get_object(Bucket=bucket["Name"], Key=v["Key"], VersionId=v["VersionId"])[
                    "Body"
                ].read()
                found.append(v["Key"])
                if body[:2] == b"PK":
                    with zipfile.ZipFile(io.BytesIO(body)) as z:
                        found += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
                else:
                    found.append(body.decode("utf-8", "replace"))
    return found


@pytest.fixture
def dies_once(monkeypatch):
    """The erasure worker dies after its second page (small pages): the queue's redelivery resumes it.
    Returns the cursor each page started from."""
    from backchannel.erasure import dynamo

    monkeypatch.setattr(dynamo, "PAGE", 10)
    sweep, started = dynamo.DynamoSweeper.sweep, []

    def dying(self, step, erasure, cursor):
        started.append((step, cursor))
        if len(started) == 3:
            raise RuntimeError("the worker died half-way")
        return sweep(self, step, erasure, cursor)

    monkeypatch.setattr(dynamo.DynamoSweeper, "sweep", dying)
    return started


def test_a_member_who_did_everything_is_erased_and_nothing_of_theirs_is_left(
    api, aws, event, session, alice, olga, pumps, capsys, dies_once
):
    erin = api.user("erin")
    api.cognito.admin_update_user_attributes(
        UserPoolId=api.pool_id,
        Username="erin",
        UserAttributes=[{"Name": "email", "Value": "erin@example.org"}],
    )
    ok(api.get("/me", as_=erin))
    email_channel(api, pumps, erin, "erin@example.org")
    ok(api.patch("/me", {"handle": "erin_erasable", "displayName": "Erin Erasable"}, as_=erin))
    ok(api.post(f"/events/{event['id']}/attendance", as_=erin), 201)
    ok(api.post(f"/sessions/{session['id']}/star", as_=erin), 201)
    posted = ok(
        api.post(
            f"/events/{event['id']}/posts",
            {"text": "zebra-post-of-erin https://example.org/erin-slides", "sessionId": session["id"]},
            as_=erin,
        ),
        201,
    )
    reply = ok(
        api.post(
            f"/events/{event['id']}/posts", {"text": "a reply by alice", "inReplyTo": posted["id"]}, as_=alice
        ),
        201,
    )
    edited_note(api, erin, session, "quokka-note-of-erin", "quokka-note-edited")
    ok(api.post(f"/sessions/{session['id']}/notes", {"body": "narwhal-private-of-erin"}, as_=erin), 201)
    asked = ok(
        api.post(f"/sessions/{session['id']}/questions", {"text": "axolotl-question-of-erin"}, as_=erin), 201
    )
    theirs = ok(api.post(f"/sessions/{session['id']}/questions", {"text": "alice asks"}, as_=alice), 201)
    ok(api.post(f"/questions/{asked['id']}/votes", as_=alice), 201)
    ok(api.post(f"/questions/{theirs['id']}/votes", as_=erin), 201)
    ok(api.get("/me", as_=alice))
    ok(api.patch("/me", {"handle": "alice_stays"}, as_=alice))
    ok(api.post("/me/follows", {"type": "member", "id": alice.sub}, as_=erin), 201)
    ok(api.post("/me/follows", {"type": "event", "id": event["id"]}, as_=erin), 201)
    ok(api.post("/me/follows", {"type": "member", "id": erin.sub}, as_=alice), 201)
    ok(api.get("/me", as_=olga))
    ok(api.post("/me/blocks", {"memberId": olga.sub}, as_=erin), 201)
    # her channels, an inbox entry and deliveries: alice, whom she follows, circulates a pack
    ok(api.post("/me/channels", {"type": "webhook", "url": HOOK}, as_=erin), 201)
    ok(api.post("/me/channels", {"type": "feed"}, as_=erin), 201)
    alices = ready_personal_pack(api, pumps, alice, event)
    ok(api.post(f"/packs/{alices['id']}/publish", as_=alice), 202)
    pumps.drain()
    assert len(ok(api.get("/me/inbox", as_=erin))["items"]) == 1
    [published] = ok(api.get(f"/packs/{alices['id']}/deliveries", as_=alice))["publications"]
    by_channel = published["byChannel"]
    assert (by_channel["email"]["sent"], by_channel["webhook"]["failed"]) == (1, 1), by_channel
    ok(api.post(f"/events/{event['id']}/packs", as_=olga), 202)  # holds erin's post and note
    ok(api.post("/me/packs", {"eventId": event["id"]}, as_=erin), 202)
    exported = ok(api.post("/me/export", as_=erin), 202)  # a zip of everything of hers, erased with her
    pumps.drain()
    assert ok(api.get(f"/me/exports/{exported['id']}", as_=erin))["status"] == "ready"
    before = everything_stored(aws)
    missing = [
        w for w in (HOOK, erin.sub, "erin_erasable", "quokka-note-edited") if not any(w in s for s in before)
    ]
    assert missing == []  # the scan sees what is there, her webhook channel included
    capsys.readouterr()  # the logs from here on are the erasure's

    erasure = ok(api.delete("/me", as_=erin), 202)
    assert erasure["status"] == "erasing"
    pumps.drain()

    assert (
        dies_once[2] == dies_once[3] and dies_once[3][0] == "data" and dies_once[3][1]
    )  # resumed, not afresh
    done = ok(api.get(f"/erasures/{erasure['id']}"))
    assert (done["status"], done["progress"]) == ("erased", 100)
    assert ok(api.get(f"/questions/{theirs['id']}"))["votes"] == 0  # the count corrected
    profile = ok(api.get("/members/alice_stays"))
    assert (profile["followers"], profile["following"]) == (0, 0)
    assert ok(api.get(f"/events/{event['id']}/posts"))["items"][0]["id"] == reply["id"]  # theirs stays

    logs = capsys.readouterr()
    wanted = (erin.sub, "erin_erasable", "erin@example.org", "Erin Erasable", *TEXTS)
    stored = everything_stored(aws)
    left = {w: [s[:300] for s in stored if w in s][:3] for w in wanted if any(w in s for s in stored)}
    assert left == {}, json.dumps(left, indent=1)
    assert [w for w in wanted if w in logs.out or w in logs.err] == []
    assert api.cognito.list_users(UserPoolId=api.pool_id, Filter=f'sub = "{erin.sub}"')["Users"] == []
    with pytest.raises(api.cognito.exceptions.ClientError):
        api.cognito.initiate_auth(
            ClientId=api.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "erin", "PASSWORD": "Passw0rd-for-tests"},
        )
