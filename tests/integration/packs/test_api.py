"""Packs through the real chain on moto built from template.yaml: the packs API -> PackRequested on the
bus -> the template's rule -> the packs queue -> the compile worker -> S3, observed through the API
(status, lists, download redirects) and the bucket; rebuild triggers come through the stream router."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from urllib.parse import parse_qs, urlparse

import pytest

ROUTER = "StreamRouterFunction"
WORKER = "PacksWorkerFunction"


@pytest.fixture
def schedule_group(aws):
    """The template's schedule group (the local provisioner records it without creating it)."""
    name = aws.stack.physical_ids["PacksScheduleGroup"]
    aws.client("scheduler").create_schedule_group(Name=name)
    return name


@pytest.fixture
def pumps(pumps_of, schedule_group):
    return pumps_of(ROUTER, WORKER)


@pytest.fixture
def bucket(aws) -> str:
    return aws.outputs["PacksBucketName"]


def keys(aws, bucket: str, pack_id: str) -> list[str]:
    found = aws.client("s3").list_objects_v2(Bucket=bucket, Prefix=f"packs/{pack_id}/")
    return sorted(o["Key"] for o in found.get("Contents", []))


def sqs_event(detail_type: str, detail: dict) -> dict:
    body = {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": "backchannel"}
    body["detail"] = detail
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:packs",
                "awsRegion": "us-east-1",
            }
        ]
    }


# -- requesting and building --------------------------------------------------------------------------


def test_an_organiser_requests_a_session_pack_and_it_is_built_into_s3(api, aws, olga, session, pumps, bucket):
    r = api.post(f"/sessions/{session['id']}/packs", as_=olga)
    assert r.status == 202, r
    pack = r.json
    assert pack["status"] == "queued"
    assert pack["version"] == 1
    assert r.headers["location"] == f"/packs/{pack['id']}"
    assert api.get(f"/packs/{pack['id']}", as_=olga).json["status"] == "queued"

    pumps.drain()

    done = api.get(f"/packs/{pack['id']}", as_=olga).json
    assert done["status"] == "ready", done
    assert done["readyVersion"] == 1
    assert set(done["formats"]) == {"html", "md", "json", "epub"}
    assert done["publicUrl"] is None  # a public event's stable address comes with its first publication
    assert keys(aws, bucket, pack["id"]) == sorted(
        f"packs/{pack['id']}/v1/pack.{ext}" for ext in ("html", "md", "json", "epub")
    )
    listed = api.get(f"/sessions/{session['id']}/packs").json["items"]
    assert [p["id"] for p in listed] == [pack["id"]]
    assert [p["id"] for p in api.get(f"/events/{session['eventId']}/packs").json["items"]] == [pack["id"]]


def test_download_redirects_to_a_short_lived_url_of_the_served_version(api, olga, session, pumps, bucket):
    pack = api.post(f"/sessions/{session['id']}/packs", as_=olga).json
    assert api.get(f"/packs/{pack['id']}/download").status == 409  # not built yet
    pumps.drain()

    r = api.get(f"/packs/{pack['id']}/download", query={"format": "epub"}, as_=olga)
    assert r.status == 302, r
    url = urlparse(r.headers["location"])
    assert url.path.endswith(f"/packs/{pack['id']}/v1/pack.epub")
    assert bucket in url.netloc + url.path
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["300"]
    assert "X-Amz-Signature" in query
    assert (
        api.get(f"/packs/{pack['id']}/download", as_=olga)
        .headers["location"]
        .split("?")[0]
        .endswith("pack.html")
    )
    bad = api.get(f"/packs/{pack['id']}/download", query={"format": "pdf"}, as_=olga)
    assert bad.status == 422
    assert bad.json["errors"][0]["field"] == "format"


def test_event_and_personal_packs(api, olga, alice, event, session, pumps):
    r = api.post(f"/events/{event['id']}/packs", as_=olga)
    assert r.status == 202, r
    assert r.json["kind"] == "event"
    assert api.post("/me/packs", {"eventId": event["id"]}, as_=alice).status == 403  # not attending
    api.post(f"/events/{event['id']}/attendance", as_=alice)
    mine = api.post("/me/packs", {"eventId": event["id"]}, as_=alice)
    assert mine.status == 202, mine
    assert mine.json["kind"] == "personal"
    assert mine.json["memberId"]
    pumps.drain()

    assert api.get(f"/packs/{mine.json['id']}", as_=alice).json["status"] == "ready"
    assert api.get("/me/packs", as_=alice).json["items"][0]["id"] == mine.json["id"]
    assert api.get("/me/packs", as_=olga).json["items"] == []
    # a personal pack is its owner's alone, even on a public event
    assert api.get(f"/packs/{mine.json['id']}").status == 404
    assert api.get(f"/packs/{mine.json['id']}", as_=olga).status == 404
    assert api.get(f"/packs/{mine.json['id']}/download", as_=olga).status == 404
    assert api.get(f"/packs/{mine.json['id']}/download", as_=alice).status == 302
    # the event's list holds the event's own pack, not personal ones
    assert [p["kind"] for p in api.get(f"/events/{event['id']}/packs").json["items"]] == ["event"]


def test_only_organisers_request_session_and_event_packs(api, olga, oscar, alice, event, session):
    assert api.post(f"/sessions/{session['id']}/packs", as_=alice).status == 403
    assert api.post(f"/events/{event['id']}/packs", as_=oscar).status == 403
    assert api.post(f"/sessions/{session['id']}/packs").status == 401
    assert api.post("/sessions/01J0000000000000000000NONE/packs", as_=olga).status == 404
    bad = api.post("/me/packs", {"eventId": event["id"], "extra": 1}, as_=alice)
    assert bad.status == 422


def test_private_event_packs_are_not_found_by_outsiders(api, olga, alice, make_event, make_session, pumps):
    private = make_event(hashtag="secret", visibility="private")
    session = make_session(private)
    assert api.post(f"/sessions/{session['id']}/packs", as_=alice).status == 404
    pack = api.post(f"/sessions/{session['id']}/packs", as_=olga).json
    pumps.drain()
    for path in (f"/packs/{pack['id']}", f"/packs/{pack['id']}/download", f"/sessions/{session['id']}/packs"):
        assert api.get(path).status == 404, path
        assert api.get(path, as_=alice).status == 404, path
    assert api.get(f"/packs/{pack['id']}", as_=olga).json["publicUrl"] is None
    assert api.get(f"/packs/{pack['id']}/download", as_=olga).status == 302


# -- coalescing ---------------------------------------------------------------------------------------


def test_requests_during_a_build_cause_exactly_one_rebuild(api, olga, session, pumps, monkeypatch):
    from backchannel.packs import compile as compiler

    real = compiler.compile_pack
    builds: list[int] = []
    seen_during: list[dict] = []

    def compile_and_be_asked_again(spec, **kw):
        builds.append(spec.version)
        if len(builds) == 1:
            for _ in range(3):
                r = api.post(f"/sessions/{session['id']}/packs", as_=olga)
                assert r.status == 202, r
                seen_during.append(r.json)
        return real(spec, **kw)

    monkeypatch.setattr(compiler, "compile_pack", compile_and_be_asked_again)
    first = api.post(f"/sessions/{session['id']}/packs", as_=olga).json
    again = api.post(f"/sessions/{session['id']}/packs", as_=olga).json  # while queued: the same build
    assert (again["id"], again["version"], again["status"]) == (first["id"], 1, "queued")
    pumps.drain()

    assert builds == [1, 2]
    assert {(p["id"], p["status"], p["version"]) for p in seen_during} == {(first["id"], "building", 1)}
    done = api.get(f"/packs/{first['id']}", as_=olga).json
    assert (done["status"], done["version"], done["readyVersion"]) == ("ready", 2, 2)


def test_a_failed_build_reports_a_reason_and_the_message_is_retried(api, olga, session, monkeypatch, aws):
    from backchannel.packs import compile as compiler

    def broken(spec, **kw):
        raise RuntimeError("disk on fire at /var/task/secret.py line 12")

    pack = api.post(f"/sessions/{session['id']}/packs", as_=olga).json
    monkeypatch.setattr(compiler, "compile_pack", broken)
    message = sqs_event("PackRequested", {"packId": pack["id"], "version": 1})
    result = api.invoke(WORKER, message)

    assert result == {"batchItemFailures": [{"itemIdentifier": message["Records"][0]["messageId"]}]}
    failed = api.get(f"/packs/{pack['id']}", as_=olga).json
    assert failed["status"] == "failed"
    assert failed["reason"] == "the pack could not be compiled"
    assert "secret" not in json.dumps(failed)

    monkeypatch.undo()
    assert api.invoke(WORKER, message) == {"batchItemFailures": []}  # the retry builds it
    assert api.get(f"/packs/{pack['id']}", as_=olga).json["status"] == "ready"


def test_a_pack_whose_session_is_gone_fails_without_retries(api, olga, session, aws, schedule_group):
    pack = api.post(f"/sessions/{session['id']}/packs", as_=olga).json
    assert api.delete(f"/sessions/{session['id']}", as_=olga).status == 204
    message = sqs_event("PackRequested", {"packId": pack["id"], "version": 1})
    assert api.invoke(WORKER, message) == {"batchItemFailures": []}
    failed = api.get(f"/packs/{pack['id']}", as_=olga)
    assert failed.status in (200, 404)
    if failed.status == 200:
        assert failed.json["status"] == "failed"


# -- rebuilds -----------------------------------------------------------------------------------------


def test_a_withdrawn_note_rebuilds_the_pack_and_the_old_version_is_not_served(
    api, aws, olga, alice, event, session, pumps, bucket
):
    api.post(f"/events/{event['id']}/attendance", as_=alice)
    note = api.post(
        f"/sessions/{session['id']}/notes", {"body": "my notes", "visibility": "public"}, as_=alice
    )
    assert note.status == 201, note
    pack = api.post(f"/sessions/{session['id']}/packs", as_=olga).json
    pumps.drain()
    assert api.get(f"/packs/{pack['id']}", as_=olga).json["readyVersion"] == 1

    r = api.delete(f"/notes/{note.json['id']}", as_=alice, headers={"If-Match": note.headers["etag"]})
    assert r.status == 204, r
    pumps.run_once()  # the router publishes NoteWithdrawn; the worker asks for a rebuild
    pumps.drain()

    done = api.get(f"/packs/{pack['id']}", as_=olga).json
    assert (done["status"], done["version"], done["readyVersion"]) == ("ready", 2, 2)
    assert (
        api.get(f"/packs/{pack['id']}/download", as_=olga)
        .headers["location"]
        .split("?")[0]
        .endswith("/v2/pack.html")
    )
    assert all("/v2/" in k for k in keys(aws, bucket, pack["id"]))  # the superseded version is gone


def test_a_published_summary_builds_the_session_pack(api, olga, session, pumps):
    r = api.request(
        "PUT",
        f"/sessions/{session['id']}/summary",
        json_body={"body": "sum", "status": "published"},
        as_=olga,
    )
    assert r.status == 200, r
    pumps.drain()
    [pack] = api.get(f"/sessions/{session['id']}/packs").json["items"]
    assert pack["status"] == "ready"


# -- end of session -----------------------------------------------------------------------------------


def test_a_session_gets_a_one_time_schedule_at_its_end_plus_grace(api, aws, olga, event, session, pumps):
    pumps.drain()
    scheduler = aws.client("scheduler")
    group = aws.stack.physical_ids["PacksScheduleGroup"]
    found = scheduler.get_schedule(Name=f"pack-session-{session['id']}", GroupName=group)
    ends = dt.datetime.fromisoformat(session["endsAt"])
    due = (ends + dt.timedelta(minutes=30)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    assert found["ScheduleExpression"] == f"at({due})"
    assert found["Target"]["Arn"] == aws.functions[WORKER].environment["PACKS_QUEUE_ARN"]

    # the schedule fires: its message lands on the queue and the session's pack is built
    queue = aws.client("sqs").get_queue_url(QueueName=re.sub(r".*:", "", found["Target"]["Arn"]))["QueueUrl"]
    aws.client("sqs").send_message(QueueUrl=queue, MessageBody=found["Target"]["Input"])
    pumps.drain()
    [pack] = api.get(f"/sessions/{session['id']}/packs").json["items"]
    assert pack["status"] == "ready"

    assert api.delete(f"/sessions/{session['id']}", as_=olga).status == 204
    pumps.drain()
    assert not scheduler.list_schedules(GroupName=group).get("Schedules")
