"""The events API through its real handler and moto: what a client sees and what lands in the table."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest

from tests.integration.conftest import future_event, pages


def table_items(aws, pk: str) -> list[dict]:
    table = boto3.resource("dynamodb").Table(aws.physical_id("DataTable"))
    return table.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": pk})["Items"]


def test_organiser_creates_an_event_and_becomes_its_first_organiser(api, aws, olga):
    r = api.post("/events", future_event(), as_=olga)

    assert r.status == 201
    event = r.json
    assert r.headers["location"] == f"/events/{event['id']}"
    assert event["hashtag"] == "LAWW" and event["createdBy"] == olga.sub
    assert {"id", "name", "startsOn", "endsOn", "timezone", "visibility", "codeOfConductUrl"} <= set(event)
    items = {i["sk"]: i for i in table_items(aws, f"EVENT#{event['id']}")}
    assert items["EVENT"]["name"] == "Learning at Work Week"
    assert items[f"MEMBER#{olga.sub}"]["roles"] == {"organiser"}
    mine = api.get("/me/events", as_=olga).json["items"]
    assert [(m["event"]["id"], m["roles"]) for m in mine] == [(event["id"], ["organiser"])]


def test_a_member_outside_the_organisers_group_may_not_create_events(api, alice):
    r = api.post("/events", future_event(), as_=alice)
    assert r.status == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json["status"] == 403 and r.json["title"] and r.json["detail"]


def test_anonymous_gets_401_from_the_gateway_and_from_the_function_itself(api):
    assert api.post("/events", future_event()).status == 401
    r = api.post("/events", future_event(), skip_authorizer=True)
    assert r.status == 401 and r.json["title"] == "Unauthorized"


def test_hashtags_are_unique_case_insensitively(api, aws, olga, oscar):
    assert api.post("/events", future_event(hashtag="EdTech"), as_=olga).status == 201
    r = api.post("/events", future_event(hashtag="edtech"), as_=oscar)
    assert r.status == 409
    assert r.json["errors"] == [{"field": "hashtag", "message": r.json["detail"]}]
    events = api.get("/events").json["items"]
    assert [e["hashtag"] for e in events] == ["EdTech"]  # nothing half-written


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": 42}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"hashtag": "#laww"}, "hashtag"),
        ({"hashtag": "two words"}, "hashtag"),
        ({"startsOn": "2026-02-30"}, "startsOn"),
        ({"startsOn": "tomorrow"}, "startsOn"),
        ({"endsOn": "2000-01-01"}, "endsOn"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"visibility": "secret"}, "visibility"),
        ({"codeOfConductUrl": "javascript:alert(1)"}, "codeOfConductUrl"),
        ({"description": "bell\x07"}, "description"),
        ({"unexpected": True}, "unexpected"),
        ({"name": None}, "name"),
    ],
)
def test_invalid_fields_get_422_naming_the_field(api, olga, change, field):
    r = api.post("/events", future_event(**change), as_=olga)
    assert r.status == 422, r
    assert field in [e["field"] for e in r.json["errors"]]


def test_missing_fields_are_all_reported_at_once(api, olga):
    r = api.post("/events", {"name": "Only a name"}, as_=olga)
    assert r.status == 422
    assert {e["field"] for e in r.json["errors"]} == {"hashtag", "startsOn", "endsOn", "timezone"}


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ("{not json", {}, 400),
        ("[1, 2]", {}, 422),
        ("", {}, 400),
        ('{"name": "x"}', {"content-type": "text/plain"}, 415),
        (b"\xff\xfe{}", {}, 400),
        ("{" + '"name": "' + "x" * 300_000 + '"}', {}, 413),
    ],
)
def test_malformed_bodies_get_a_clear_4xx(api, olga, body, headers, status):
    r = api.request("POST", "/events", body=body, headers=headers, as_=olga)
    assert r.status == status, r
    assert r.json["status"] == status


def test_reading_events_by_visibility(api, make_event, olga, alice):
    public = make_event(hashtag="pub")
    unlisted = make_event(hashtag="unl", visibility="unlisted")
    private = make_event(hashtag="prv", visibility="private")

    assert api.get(f"/events/{public['id']}").status == 200
    assert api.get(f"/events/{unlisted['id']}").status == 200
    assert api.get(f"/events/{private['id']}").status == 404
    assert api.get(f"/events/{private['id']}", as_=alice).status == 404
    assert api.get(f"/events/{private['id']}", as_=olga).status == 200
    assert api.get("/events/01HZZZZZZZZZZZZZZZZZZZZZZZ").status == 404
    listed = [e["hashtag"] for e in api.get("/events").json["items"]]
    assert listed == ["pub"]  # only public events are listed


def test_list_is_current_and_upcoming_and_paginated(api, olga):
    today = dt.date.today()
    past = future_event(
        hashtag="past", startsOn=str(today - dt.timedelta(days=30)), endsOn=str(today - dt.timedelta(days=29))
    )
    assert api.post("/events", past, as_=olga).status == 201
    for i in range(5):
        start = today + dt.timedelta(days=i)
        body = future_event(hashtag=f"e{i}", startsOn=str(start), endsOn=str(start))
        assert api.post("/events", body, as_=olga).status == 201

    read = list(pages(api, "/events", limit=2))
    assert [e["hashtag"] for items in read for e in items] == ["e0", "e1", "e2", "e3", "e4"]
    assert len(read) == 3


@pytest.mark.parametrize(
    "query", [{"limit": "0"}, {"limit": "ten"}, {"cursor": "garbage!"}, {"cursor": "e30"}]
)
def test_bad_paging_parameters_get_4xx(api, query):
    r = api.get("/events", query=query)
    assert r.status in (400, 422), r


def test_limit_above_the_documented_maximum_is_refused(api, olga):
    assert api.post("/events", future_event(), as_=olga).status == 201
    assert api.get("/events", query={"limit": "100"}).status == 200
    for too_many in ("101", "100000"):
        r = api.get("/events", query={"limit": too_many})
        assert r.status == 422 and r.json["errors"] == [{"field": "limit", "message": "must be at most 100"}]
    assert api.get("/events", query={"limit": "\u0661"}).status == 422  # an Arabic-Indic one is no digit here


def test_update_event_by_its_organisers_only(api, make_event, olga, oscar, alice):
    event = make_event()
    path = f"/events/{event['id']}"
    assert api.patch(path, {"name": "Renamed"}, as_=oscar).status == 403
    assert api.patch(path, {"name": "Renamed"}, as_=alice).status == 403
    assert api.patch(path, {"name": "Renamed"}).status == 401
    r = api.patch(path, {"name": "Renamed", "hashtag": "NewTag"}, as_=olga)
    assert r.status == 200 and r.json["name"] == "Renamed"
    # the old hashtag is free again, the new one taken
    assert api.post("/events", future_event(hashtag="laww"), as_=oscar).status == 201
    assert api.post("/events", future_event(hashtag="newtag"), as_=oscar).status == 409


def test_patch_validates_like_post(api, make_event, olga):
    event = make_event()
    path = f"/events/{event['id']}"
    assert api.patch(path, {}, as_=olga).status == 422
    assert api.patch(path, {"hashtag": None}, as_=olga).status == 422
    r = api.patch(path, {"endsOn": "2000-01-01"}, as_=olga)
    assert r.status == 422 and r.json["errors"][0]["field"] == "endsOn"
    assert api.get(path).json["endsOn"] == event["endsOn"]


def test_making_an_event_private_removes_it_from_the_public_list(api, make_event, olga):
    event = make_event()
    assert api.patch(f"/events/{event['id']}", {"visibility": "private"}, as_=olga).status == 200
    assert api.get("/events").json["items"] == []
    assert api.get(f"/events/{event['id']}").status == 404


def test_co_organisers(api, make_event, olga, oscar, alice):
    event = make_event()
    path = f"/events/{event['id']}/organisers"
    assert api.get("/me", as_=oscar).status == 200  # oscar's member record exists once he signed in
    assert api.post(path, {"memberId": "nobody"}, as_=olga).status == 422
    assert api.post(path, {"memberId": oscar.sub}, as_=alice).status == 403
    r = api.post(path, {"memberId": oscar.sub}, as_=olga)
    assert r.status == 201 and r.json["roles"] == ["organiser"]
    assert api.patch(f"/events/{event['id']}", {"name": "Oscar's now"}, as_=oscar).status == 200


def test_idempotent_retry_returns_the_first_response_and_writes_nothing_new(api, olga):
    body = future_event()
    key = {"Idempotency-Key": "3f1c6c1e-retry"}
    first = api.post("/events", body, as_=olga, headers=key)
    again = api.post("/events", body, as_=olga, headers=key)
    assert first.status == again.status == 201
    assert again.json == first.json
    assert len(api.get("/events").json["items"]) == 1

    other = api.post("/events", future_event(name="Other"), as_=olga, headers=key)
    assert other.status == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"


def test_idempotency_keys_belong_to_their_caller(api, olga, oscar):
    key = {"Idempotency-Key": "same-key"}
    assert api.post("/events", future_event(hashtag="one"), as_=olga, headers=key).status == 201
    r = api.post("/events", future_event(hashtag="two"), as_=oscar, headers=key)
    assert r.status == 201 and r.json["hashtag"] == "two"


def test_a_failed_request_is_not_remembered_under_its_key(api, olga, alice):
    key = {"Idempotency-Key": "k-422"}
    assert api.post("/events", {"name": ""}, as_=olga, headers=key).status == 422
    assert api.post("/events", {"name": ""}, as_=olga, headers=key).status == 422
    assert api.post("/events", future_event(), as_=olga, headers={"Idempotency-Key": " "}).status == 400
