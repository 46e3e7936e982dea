"""Sessions through the events API: ordering, time rules, hashtags, visibility."""

from __future__ import annotations

import pytest

from tests.integration.conftest import pages, session_body


def test_sessions_are_listed_by_start_whatever_the_offset(api, make_event, make_session):
    event = make_event()
    date = event["startsOn"]
    late = make_session(
        event, title="Late", startsAt=f"{date}T15:00:00+00:00", endsAt=f"{date}T16:00:00+00:00"
    )
    # 10:00 in New York is 15:00 UTC; 09:00 in Berlin is 08:00 UTC, the earliest
    early = make_session(
        event, title="Early", startsAt=f"{date}T09:00:00+01:00", endsAt=f"{date}T10:00:00+01:00"
    )
    mid = make_session(event, title="Mid", startsAt=f"{date}T10:00:00+00:00", endsAt=f"{date}T11:00:00+00:00")

    r = api.get(f"/events/{event['id']}/sessions")
    assert r.status == 200
    assert [s["id"] for s in r.json["items"]] == [early["id"], mid["id"], late["id"]]
    assert r.json["nextCursor"] is None
    assert api.get(f"/sessions/{early['id']}").json["speakers"] == [
        {"name": "Jane Hart", "link": "https://example.org/jane"}
    ]


def test_sessions_paginate_without_gaps_or_duplicates(api, make_event, make_session):
    event = make_event()
    made = [make_session(event, hour=8 + i, title=f"S{i}")["id"] for i in range(7)]
    seen = [s["id"] for items in pages(api, f"/events/{event['id']}/sessions", limit=3) for s in items]
    assert seen == made


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"startsAt": "2020-01-01T09:00:00+00:00"}, {"startsAt"}),
        ({"endsAt": "2099-01-01T09:00:00+00:00"}, {"endsAt"}),
        ({"startsAt": "nine o'clock"}, {"startsAt"}),
        ({"startsAt": "2030-01-01T09:00:00"}, {"startsAt"}),  # no offset
        ({"title": ""}, {"title"}),
        ({"speakers": [{"link": "https://x.org"}]}, {"speakers[0].name"}),
        ({"speakers": "Jane"}, {"speakers"}),
        ({"hashtag": "has space"}, {"hashtag"}),
    ],
)
def test_invalid_sessions_get_422(api, make_event, olga, change, fields):
    event = make_event()
    r = api.post(f"/events/{event['id']}/sessions", session_body(event, **change), as_=olga)
    assert r.status == 422, r
    assert fields <= {e["field"] for e in r.json["errors"]}


def test_end_before_start_is_refused(api, make_event, olga):
    event = make_event()
    body = session_body(event)
    body["startsAt"], body["endsAt"] = body["endsAt"], body["startsAt"]
    r = api.post(f"/events/{event['id']}/sessions", body, as_=olga)
    assert r.status == 422 and r.json["errors"][0]["field"] == "endsAt"


def test_session_times_honour_the_event_time_zone(api, olga):
    from tests.integration.conftest import future_event

    event = api.post("/events", future_event(timezone="Pacific/Auckland"), as_=olga).json
    # 23:30 UTC the day before the event starts is already 12:30 on the first day in Auckland
    from datetime import date, timedelta

    before = (date.fromisoformat(event["startsOn"]) - timedelta(days=1)).isoformat()
    body = session_body(event, startsAt=f"{before}T23:30:00Z", endsAt=f"{before}T23:59:00Z")
    assert api.post(f"/events/{event['id']}/sessions", body, as_=olga).status == 201


def test_session_hashtags_are_unique_within_an_event_only(api, make_event, make_session, olga):
    one, two = make_event(hashtag="one"), make_event(hashtag="two")
    make_session(one, hashtag="keynote")
    r = api.post(f"/events/{one['id']}/sessions", session_body(one, hashtag="KEYNOTE"), as_=olga)
    assert r.status == 409 and r.json["errors"][0]["field"] == "hashtag"
    assert (
        api.post(f"/events/{two['id']}/sessions", session_body(two, hashtag="keynote"), as_=olga).status
        == 201
    )


def test_update_and_delete_a_session(api, make_event, make_session, olga):
    event = make_event()
    session = make_session(event, hashtag="old")
    r = api.patch(
        f"/sessions/{session['id']}", {"title": "New title", "hashtag": "new", "room": None}, as_=olga
    )
    assert r.status == 200 and r.json["title"] == "New title" and r.json["room"] is None
    # the old hashtag was released, the new one is claimed
    assert (
        api.post(f"/events/{event['id']}/sessions", session_body(event, hashtag="old"), as_=olga).status
        == 201
    )
    assert (
        api.post(f"/events/{event['id']}/sessions", session_body(event, hashtag="new"), as_=olga).status
        == 409
    )
    assert api.patch(f"/sessions/{session['id']}", {"endsAt": "2000-01-01T00:00:00Z"}, as_=olga).status == 422
    assert api.patch(f"/sessions/{session['id']}", {"title": None}, as_=olga).status == 422

    assert api.delete(f"/sessions/{session['id']}", as_=olga).status == 204
    assert api.get(f"/sessions/{session['id']}").status == 404
    assert api.delete(f"/sessions/{session['id']}", as_=olga).status == 404
    # its hashtag is free again
    assert (
        api.post(f"/events/{event['id']}/sessions", session_body(event, hashtag="new"), as_=olga).status
        == 201
    )


def test_narrowing_event_dates_may_not_strand_sessions(api, make_event, make_session, olga):
    event = make_event()
    make_session(event, day=2, title="Last day talk")
    r = api.patch(f"/events/{event['id']}", {"endsOn": event["startsOn"]}, as_=olga)
    assert r.status == 409 and "Last day talk" in r.json["detail"]
    assert api.get(f"/events/{event['id']}").json["endsOn"] == event["endsOn"]


def test_sessions_of_a_private_event_are_hidden_like_the_event(api, make_event, make_session, olga, alice):
    event = make_event(visibility="private")
    session = make_session(event)
    assert api.get(f"/sessions/{session['id']}").status == 404
    assert api.get(f"/sessions/{session['id']}", as_=alice).status == 404
    assert api.get(f"/events/{event['id']}/sessions", as_=alice).status == 404
    assert api.get(f"/sessions/{session['id']}", as_=olga).status == 200
    # once an organiser adds alice, she sees it
    assert api.get("/me", as_=alice).status == 200
    assert api.post(f"/events/{event['id']}/attendance", {"memberId": alice.sub}, as_=olga).status == 201
    assert api.get(f"/sessions/{session['id']}", as_=alice).status == 200


def test_an_invalid_token_on_a_public_route_is_refused_not_ignored(api, make_event):
    event = make_event()
    r = api.get(f"/events/{event['id']}", headers={"authorization": "Bearer not.a.token"})
    assert r.status == 401
