"""Members: the profile made on first use, handles, attendance."""

from __future__ import annotations

from tests.integration.conftest import future_event


def test_first_authenticated_use_creates_the_member(api, aws, alice):
    r = api.get("/me", as_=alice)
    assert r.status == 200
    assert r.json["id"] == alice.sub and r.json["displayName"] == "alice" and r.json["handle"] is None
    assert api.get("/me", as_=alice).json == r.json  # created once


def test_update_profile_and_unique_handles(api, alice, bob):
    r = api.patch(
        "/me",
        {
            "displayName": "Alice L.",
            "handle": "alice_l",
            "bio": "Learning designer",
            "links": [{"title": "Blog", "url": "https://alice.example"}],
        },
        as_=alice,
    )
    assert r.status == 200 and r.json["handle"] == "alice_l" and r.json["links"][0]["title"] == "Blog"
    taken = api.patch("/me", {"handle": "ALICE_L"}, as_=bob)
    assert taken.status == 409 and taken.json["errors"][0]["field"] == "handle"
    assert api.patch("/me", {"handle": "alice2"}, as_=alice).status == 200
    assert api.patch("/me", {"handle": "alice_l"}, as_=bob).status == 200  # released by alice


def test_profile_validation(api, alice):
    assert api.patch("/me", {"handle": "a"}, as_=alice).status == 422
    assert api.patch("/me", {"displayName": None}, as_=alice).status == 422
    assert api.patch("/me", {"links": [{"title": "x", "url": "ftp://x"}]}, as_=alice).status == 422
    assert api.patch("/me", {"email": "x@y"}, as_=alice).status == 422
    assert api.get("/me").status == 401


def test_join_and_leave_public_and_unlisted_events(api, make_event, alice):
    public, unlisted = make_event(hashtag="a"), make_event(hashtag="b", visibility="unlisted")
    for event in (public, unlisted):
        r = api.post(f"/events/{event['id']}/attendance", as_=alice)
        assert r.status == 201 and r.json["roles"] == ["attendee"]
    again = api.post(f"/events/{public['id']}/attendance", as_=alice)
    assert again.status == 201  # joining twice is harmless
    mine = api.get("/me/events", as_=alice).json["items"]
    assert sorted(m["event"]["hashtag"] for m in mine) == ["a", "b"]

    assert api.delete(f"/events/{public['id']}/attendance", as_=alice).status == 204
    assert [m["event"]["hashtag"] for m in api.get("/me/events", as_=alice).json["items"]] == ["b"]


def test_private_events_cannot_be_joined_uninvited(api, make_event, alice, bob, olga):
    event = make_event(visibility="private")
    assert api.post(f"/events/{event['id']}/attendance", as_=alice).status == 404
    api.get("/me", as_=bob)
    assert api.post(f"/events/{event['id']}/attendance", {"memberId": bob.sub}, as_=alice).status == 404
    assert api.post(f"/events/{event['id']}/attendance", {"memberId": "ghost"}, as_=olga).status == 422
    assert api.post(f"/events/{event['id']}/attendance", {"memberId": bob.sub}, as_=olga).status == 201
    assert api.get(f"/events/{event['id']}", as_=bob).status == 200


def test_only_organisers_add_other_members(api, make_event, alice, bob):
    event = make_event()
    api.get("/me", as_=bob)
    r = api.post(f"/events/{event['id']}/attendance", {"memberId": bob.sub}, as_=alice)
    assert r.status == 403


def test_an_organiser_who_attends_and_leaves_stays_organiser(api, make_event, olga):
    event = make_event()
    r = api.post(f"/events/{event['id']}/attendance", as_=olga)
    assert r.json["roles"] == ["attendee", "organiser"]
    assert api.delete(f"/events/{event['id']}/attendance", as_=olga).status == 204
    assert api.get("/me/events", as_=olga).json["items"][0]["roles"] == ["organiser"]


def test_unknown_events(api, alice):
    assert api.post("/events/01HZZZZZZZZZZZZZZZZZZZZZZZ/attendance", as_=alice).status == 404
    assert api.delete("/events/01HZZZZZZZZZZZZZZZZZZZZZZZ/attendance", as_=alice).status == 404


def test_pack_consent_is_on_by_default_and_can_be_withdrawn(api, alice):
    assert api.get("/me", as_=alice).json["packConsent"] is True
    r = api.patch("/me", {"packConsent": False}, as_=alice)
    assert r.status == 200
    assert r.json["packConsent"] is False
    assert api.get("/me", as_=alice).json["packConsent"] is False
    assert api.patch("/me", {"packConsent": None}, as_=alice).status == 422


def test_star_and_unstar_a_session(api, make_event, make_session, alice):
    event = make_event()
    session = make_session(event)
    r = api.post(f"/sessions/{session['id']}/star", as_=alice)
    assert r.status == 201
    assert r.json["sessionId"] == session["id"]
    assert api.post(f"/sessions/{session['id']}/star", as_=alice).status == 201  # twice is harmless
    assert api.delete(f"/sessions/{session['id']}/star", as_=alice).status == 204
    assert api.delete(f"/sessions/{session['id']}/star", as_=alice).status == 204
    assert api.post("/sessions/01HZZZZZZZZZZZZZZZZZZZZZZZ/star", as_=alice).status == 404
    assert api.post(f"/sessions/{session['id']}/star").status == 401


def test_bidi_overrides_and_invisible_characters_are_refused_in_names(api, alice, olga):
    r = api.patch("/me", {"displayName": "\u202egnp.exe", "handle": "\u202egnp_exe"}, as_=alice)
    assert r.status == 422
    assert {e["field"] for e in r.json["errors"]} == {"displayName", "handle"}
    assert "U+202E" in {e["field"]: e["message"] for e in r.json["errors"]}["displayName"]
    ok = api.patch(
        "/me", {"displayName": "\U0001f469\u200d\U0001f4bb Ada"}, as_=alice
    )  # an emoji ZWJ sequence
    assert (ok.status, ok.json["displayName"]) == (200, "\U0001f469\u200d\U0001f4bb Ada")
    event = api.post("/events", {**future_event(), "name": "Keynote\u200b"}, as_=olga)
    assert (event.status, event.json["errors"][0]["field"]) == (422, "name")
