"""Export (``POST /me/export``, GDPR Art. 20): a member who did a bit of everything asks for an export;
the workers build it; the member downloads the zip by its presigned link and finds each kind of thing
of theirs in ``export.json`` and ``export.md``, and no secret and nothing of anyone else's anywhere in
its bytes. Nobody else can read the export; a build that fails ends ``failed``."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.support.circulation import (
    WORKERS,
    edited_note,
    email_channel,
    follow,
    note,
    ok,
    ready_personal_pack,
    scheduled_pumps,
    sent_mail,
)

WEBHOOK = "https://93.184.215.14/erin-hook"  # a public address: no request is made to it here
THEIRS = "quetzal-private-note-of-bob"


@pytest.fixture
def pumps(aws, pumps_of, loopback):
    return scheduled_pumps(aws, pumps_of, *WORKERS, "ExportWorkerFunction")


def sealed_of(aws, member_id: str) -> list[str]:
    """The sealed secrets and hashes of the member's channels, as stored."""
    table = aws.client("dynamodb")
    found = table.query(
        TableName=aws.physical_id("DataTable"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={":pk": {"S": f"MEMBER#{member_id}"}, ":sk": {"S": "CHANNEL#"}},
    )["Items"]
    return [i[k]["S"] for i in found for k in ("sealed", "codeHash") if k in i]


def download(reply_json) -> zipfile.ZipFile:
    """The zip behind an export's link, fetched as a browser would (moto answers the presigned GET)."""
    got = requests.get(reply_json["url"], timeout=10)
    assert got.status_code == 200, got.text
    assert got.content[:2] == b"PK"
    return zipfile.ZipFile(io.BytesIO(got.content))


def test_a_member_exports_everything_of_theirs_and_no_secret(api, aws, event, session, olga, pumps):
    erin, bob = api.user("erin"), api.user("bob")
    ok(api.get("/me", as_=erin))
    ok(api.patch("/me", {"handle": "erin_exports", "displayName": "Erin Export"}, as_=erin))
    ok(api.get("/me", as_=bob))
    ok(api.patch("/me", {"handle": "bob_b"}, as_=bob))
    posted = ok(api.post(f"/events/{event['id']}/posts", {"text": "okapi-post-of-erin"}, as_=erin), 201)
    edited_note(api, erin, session, "ibis-note-v1", "ibis-note-v2")
    asked = ok(
        api.post(f"/sessions/{session['id']}/questions", {"text": "tapir-question-of-erin"}, as_=erin), 201
    )
    ok(api.post(f"/sessions/{session['id']}/star", as_=erin), 201)
    follow(api, erin, "member", bob.sub)
    email_channel(api, pumps, erin, "erin@example.org")  # verified: its code was used
    pending = ok(api.post("/me/channels", {"type": "email", "address": "erin2@example.org"}, as_=erin), 201)
    hook = ok(api.post("/me/channels", {"type": "webhook", "url": WEBHOOK}, as_=erin), 201)
    note(api, bob, session, f"{THEIRS} about {erin.sub}", "private")  # names her, but bob's: never exported
    mallory = api.user("mallory")
    ok(api.get("/me", as_=mallory))
    follow(api, mallory, "member", erin.sub)  # who follows her: a count only
    ok(api.post("/me/blocks", {"memberId": erin.sub}, as_=olga), 201)  # who blocked her: nothing
    bob_pack = ready_personal_pack(api, pumps, bob, event)
    note(api, bob, session, "bob-public-note", "public")
    ok(api.post(f"/packs/{bob_pack['id']}/publish", as_=bob), 202)
    erin_pack = ready_personal_pack(api, pumps, erin, event)  # holds her notes (pumps drained: inbox too)
    [entry] = ok(api.get("/me/inbox", as_=erin))["items"]
    [code_mail] = [m for m in sent_mail("erin2@example.org") if "code" in m["Subject"]]
    code = code_mail["Subject"].rsplit(" ", 1)[-1]
    secrets = [hook["secret"], code, *sealed_of(aws, erin.sub)]
    assert len(secrets) >= 4  # the secret, the code, both emails' sealed values, the pending code's hash

    asked_at = dt.datetime.now(dt.UTC)
    reply = api.post("/me/export", as_=erin)
    assert reply.status == 202, reply
    assert reply.headers["location"] == f"/me/exports/{reply.json['id']}"
    assert (reply.json["status"], reply.json["url"]) == ("building", None)
    pumps.drain()

    export = ok(api.get(reply.headers["location"], as_=erin))
    assert (export["status"], export["progress"]) == ("ready", 100)
    expires = dt.datetime.fromisoformat(export["expiresAt"].replace("Z", "+00:00"))
    assert dt.timedelta(minutes=59) < expires - asked_at < dt.timedelta(minutes=61)
    assert parse_qs(urlparse(export["url"]).query)["X-Amz-Expires"] == ["3600"]
    with download(export) as z:
        names = set(z.namelist())
        raw = b"".join(z.read(n) for n in z.namelist())
        doc = json.loads(z.read("export.json"))
        md = z.read("export.md").decode()
        pack_md = z.read(f"packs/{erin_pack['id']}/pack.md").decode()
    assert {"export.json", "export.md", f"packs/{erin_pack['id']}/pack.md"} <= names
    assert doc["profile"][0]["handle"] == "erin_exports"
    assert [p["id"] for p in doc["posts"]] == [posted["id"]]
    [exported_note] = doc["notes"]
    assert (exported_note["body"], exported_note["version"]) == ("ibis-note-v2", 2)
    assert [q["id"] for q in doc["questions"]] == [asked["id"]]
    assert [s["sessionId"] for s in doc["stars"]] == [session["id"]]
    assert [(f["targetType"], f["targetId"]) for f in doc["follows"]] == [("member", bob.sub)]
    channels = {c["id"]: c for c in doc["channels"]}
    assert channels[hook["id"]]["settings"] == {"url": WEBHOOK}
    assert channels[pending["id"]]["status"] == "pending"
    assert {c["channelType"] for c in channels.values()} == {"email", "webhook"}
    assert [i["id"] for i in doc["inbox"]] == [entry["id"]]
    assert [p["id"] for p in doc["packs"]] == [erin_pack["id"]]
    assert "ibis-note-v2" in pack_md  # her personal pack's file, in the zip
    for heading in ("# Your Backchannel data", "## Posts (1)", "## Notes (1)", "## Channels"):
        assert heading in md
    assert "  > ibis-note-v2" in md and "  > tapir-question-of-erin" in md
    assert (doc["followCounts"], doc["blocks"]) == ([{"followers": 1, "following": 1}], [])
    leaked = [s for s in (*secrets, THEIRS, "bob-public-note", mallory.sub) if s.encode() in raw]
    assert leaked == []

    assert api.get(f"/me/exports/{export['id']}", as_=mallory).status == 404
    assert api.get(f"/me/exports/{export['id']}").status == 401


def test_a_build_that_fails_ends_failed_and_a_redelivery_builds_nothing(api, aws, pumps, monkeypatch):
    from backchannel.exports import dynamo

    erin = api.user("erin")
    ok(api.get("/me", as_=erin))

    def broken(self, key, body):
        raise OSError("S3 is down")

    monkeypatch.setattr(dynamo.S3ExportStorage, "put", broken)
    failed = ok(api.post("/me/export", as_=erin), 202)
    pumps.drain()
    found = ok(api.get(f"/me/exports/{failed['id']}", as_=erin))
    assert (found["status"], found["url"], found["error"]) == (
        "failed",
        None,
        "the export could not be built; ask for a new one",
    )

    monkeypatch.undo()
    built = ok(api.post("/me/export", as_=erin), 202)
    pumps.drain()
    assert ok(api.get(f"/me/exports/{built['id']}", as_=erin))["status"] == "ready"
    bucket = aws.outputs["PacksBucketName"]
    before = aws.client("s3").list_object_versions(Bucket=bucket, Prefix="exports/").get("Versions", [])

    message = {"detail-type": "ExportRequested", "detail": {"exportId": built["id"]}}
    for export_id in (built["id"], failed["id"]):  # a redelivered message of each
        message["detail"]["exportId"] = export_id
        event = {
            "Records": [
                {
                    "messageId": "m1",
                    "body": json.dumps(message),
                    "receiptHandle": "r1",
                    "attributes": {},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                }
            ]
        }
        assert api.invoke("ExportWorkerFunction", event) == {"batchItemFailures": []}
    after = aws.client("s3").list_object_versions(Bucket=bucket, Prefix="exports/").get("Versions", [])
    assert len(after) == len(before) == 1  # one zip: the failed export wrote none, nothing was rebuilt
    assert ok(api.get(f"/me/exports/{failed['id']}", as_=erin))["status"] == "failed"
