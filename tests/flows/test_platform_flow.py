"""The platform end to end over HTTP, as a newcomer would use it: the demo answers, a member signs in
against the local user pool with boto3 and creates an event and its sessions."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import boto3
import pytest

from tests.support.flows import event_body
from tests.support.runtime import http

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module")
def stack():
    """The local runtime with the demo as ``make run`` seeds it: with its members and what they said."""
    from tests.support.runtime import local_runtime

    with local_runtime(demo=True, demo_life=True) as (runtime, base_url):
        yield runtime, base_url


def sign_in(outputs: dict, username: str, password: str) -> str:
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=outputs["AwsEndpoint"],
        region_name=outputs["Region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    result = idp.initiate_auth(
        ClientId=outputs["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return result["AuthenticationResult"]["AccessToken"]


def test_the_demo_event_is_listed(stack):
    _, base = stack
    r = http("GET", f"{base}/events")
    assert r.status == 200
    names = [e["name"] for e in r.json["items"]]
    assert "Learning at Work Week: Networked for Learning" in names
    event = next(e for e in r.json["items"] if e["name"].startswith("Learning at Work Week"))
    sessions = http("GET", f"{base}/events/{event['id']}/sessions").json["items"]
    assert len(sessions) >= 3


def test_the_demo_has_life_that_respects_visibility(stack):
    """The demo's members, posts, notes, questions, summary and star, read as visitors and members would."""
    from local.user import create_user

    runtime, base_url = stack
    demo = runtime.demo_result
    assert demo["warnings"] == []
    assert demo["members"] == ["ada", "ben", "chloe"]
    live = demo["session_ids"][0]
    feed = http("GET", f"{base_url}/events/{demo['event_id']}/posts").json["items"]
    # the members' posts; the rest were collected from the fake Mastodon
    posts = [p for p in feed if not p.get("origin")]
    assert len(posts) == 3
    assert {p["origin"]["network"] for p in feed if p.get("origin")} == {"mastodon"}
    assert all("#LAWW26" in p["text"] for p in posts)
    assert sum("https://" in p["text"] for p in posts) == 2
    public = http("GET", f"{base_url}/sessions/{live}/notes").json["items"]
    assert [n["visibility"] for n in public] == ["public"]
    ada = create_user(runtime.outputs, "ada")["token"]  # an attendee (a fresh password, same member)
    seen = http("GET", f"{base_url}/sessions/{live}/notes", token=ada).json["items"]
    assert sorted(n["visibility"] for n in seen) == ["attendees", "public"]
    questions = http("GET", f"{base_url}/sessions/{live}/questions").json["items"]
    assert sorted(q["votes"] for q in questions) == [1, 2]
    summary = http("GET", f"{base_url}/sessions/{live}/summary")
    assert summary.status == 200 and "Working out loud" in summary.json["body"]
    assert demo["starred"] == [demo["session_ids"][1]]


def test_outputs_file_describes_the_local_stack(stack):
    runtime, base = stack
    outputs = json.loads(Path(runtime.outputs_path).read_text())
    assert outputs["ApiUrl"].rstrip("/") == base.rstrip("/")
    for key in ("UserPoolId", "UserPoolClientId", "DataTableName", "EventBusName", "AwsEndpoint", "Region"):
        assert outputs[key]


def test_sign_in_with_boto3_and_create_an_event_and_sessions(stack):
    from local.user import create_user

    runtime, base = stack
    created = create_user(runtime.outputs, "flow_olga", organiser=True)
    token = sign_in(runtime.outputs, "flow_olga", created["password"])  # exactly as against AWS

    start = dt.date.today() + dt.timedelta(days=30)
    body = event_body("Flow Camp", "flowcamp", starts_on=start, days=2, timezone="Europe/Berlin")
    r = http("POST", f"{base}/events", json_body=body, token=token, headers={"Idempotency-Key": "flow-1"})
    assert r.status == 201, r.body
    event = r.json
    again = http("POST", f"{base}/events", json_body=body, token=token, headers={"Idempotency-Key": "flow-1"})
    assert again.status == 201
    assert again.json["id"] == event["id"]

    session = {
        "title": "Keynote",
        "startsAt": f"{start}T09:00:00+01:00",
        "endsAt": f"{start}T10:00:00+01:00",
        "speakers": [{"name": "Jane"}],
    }
    r = http("POST", f"{base}/events/{event['id']}/sessions", json_body=session, token=token)
    assert r.status == 201, r.body
    listed = http("GET", f"{base}/events/{event['id']}/sessions").json["items"]
    assert [s["title"] for s in listed] == ["Keynote"]

    # the item is in the table of the local stack
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=runtime.outputs["AwsEndpoint"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    item = ddb.get_item(
        TableName=runtime.outputs["DataTableName"],
        Key={"pk": {"S": f"EVENT#{event['id']}"}, "sk": {"S": "EVENT"}},
    )
    assert item["Item"]["name"] == {"S": "Flow Camp"}


def test_the_gateway_enforces_the_jwt_authorizer(stack):
    _runtime, base = stack
    body = {"name": "x"}
    assert http("POST", f"{base}/events", json_body=body).status == 401
    assert http("POST", f"{base}/events", json_body=body, token="garbage").status == 401
    assert http("GET", f"{base}/me", token="e30.e30.e30").status == 401


def test_a_member_outside_the_organisers_group_is_refused(stack):
    from local.user import create_user

    runtime, base = stack
    alice = create_user(runtime.outputs, "flow_alice")
    r = http("POST", f"{base}/events", json_body={"name": "x"}, token=alice["token"])
    assert r.status == 403
    assert r.headers["content-type"] == "application/problem+json"
    me = http("GET", f"{base}/me", token=alice["token"])
    assert me.status == 200
    assert me.json["displayName"] == "flow_alice"


def test_bad_input_never_yields_a_500(stack):
    from local.user import create_user

    runtime, base = stack
    token = create_user(runtime.outputs, "flow_fuzz", organiser=True)["token"]
    bodies = [
        b"",
        b"{",
        b"null",
        b"[]",
        b'{"name": 1}',
        b"\xff\xfe",
        b'{"startsOn": "2026-13-45"}',
        b"x" * 300_000,
    ]
    for raw in bodies:
        for path in ("/events", "/me"):
            method = "POST" if path == "/events" else "PATCH"
            r = http(
                method, f"{base}{path}", body=raw, token=token, headers={"Content-Type": "application/json"}
            )
            assert 400 <= r.status < 500, (path, raw[:20], r.status, r.body[:200])


def test_an_organiser_imports_a_pretalx_schedule_twice_and_gets_no_duplicates(stack):
    from tests.support.flows import member_token

    runtime, base = stack
    token = member_token(runtime, "flow_importer", organiser=True)
    body = event_body(
        "Demo 26", "flowdemo26", starts_on=dt.date(2026, 3, 28), days=2, timezone="Europe/Berlin"
    )
    event = http("POST", f"{base}/events", json_body=body, token=token).json
    sample = Path(__file__).parents[1] / "unit" / "conference" / "schedules" / "pretalx_schedule.json"
    document = {"format": "auto", "content": sample.read_text(encoding="utf-8")}
    url = f"{base}/events/{event['id']}/schedule-imports"

    first = http("POST", url, json_body=document, token=token)
    assert first.status == 201, first.body
    assert (first.json["status"], first.json["created"]) == ("done", 5)
    again = http("POST", url, json_body=document, token=token)
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 0, 5)
    sessions = http("GET", f"{base}/events/{event['id']}/sessions").json["items"]
    assert len(sessions) == 5 and len({s["externalId"] for s in sessions}) == 5
    polled = http("GET", f"{url}/{first.json['id']}", token=token)
    assert polled.status == 200 and polled.json == first.json


def test_an_organiser_imports_a_programme_by_url_from_the_local_receivers_origin(stack):
    """The outbound guard lets the functions reach only the local receivers' origin, which serves the
    repository's sample schedules: a URL import answers 202 and the worker finishes it."""
    from tests.support.flows import member_token

    runtime, base = stack
    token = member_token(runtime, "flow_url_importer", organiser=True)
    body = event_body("Url 26", "flowurl26", starts_on=dt.date(2026, 3, 28), days=2, timezone="Europe/Berlin")
    event = http("POST", f"{base}/events", json_body=body, token=token).json
    schedule = f"{runtime.webhook_url}/_local/schedules/frab_schedule.xml"
    assert http("GET", schedule).body.startswith(b"<?xml")
    asked = http(
        "POST", f"{base}/events/{event['id']}/schedule-imports", json_body={"url": schedule}, token=token
    )
    assert asked.status == 202 and asked.json["status"] == "queued", asked.body
    record = asked.json
    deadline = time.monotonic() + 60
    while record["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        record = http("GET", f"{base}{asked.headers['location']}", token=token).json
    assert (record["status"], record["format"], record["created"]) == ("done", "frab-xml", 3), record
    sessions = http("GET", f"{base}/events/{event['id']}/sessions").json["items"]
    assert len(sessions) == 3  # the XML sample's three talks
