"""Blocks hide: a member who blocked another never sees their posts, notes or questions, on any read
path (event and session feeds, polling, notes lists, Q&A, live ticks and live question messages); a
third member still sees everything. One direction: the blocked member still sees the blocker's."""

from __future__ import annotations

import pytest

from tests.integration.live.test_socket_and_push import PUSH, RecordingManagementApi, Socket


@pytest.fixture
def management(monkeypatch):
    from backchannel.live.sender import ApiGatewaySender
    from functions.live_push import app

    client = RecordingManagementApi()
    monkeypatch.setattr(app, "sender", lambda: ApiGatewaySender(client, sleep=lambda _s: None))
    return client


@pytest.fixture
def carol(api):
    return api.user("carol")


@pytest.fixture
def blocked(api, alice, bob):
    """alice blocked bob."""
    assert api.get("/me", as_=bob).status == 200  # bob's profile
    r = api.post("/me/blocks", {"memberId": bob.sub}, as_=alice)
    assert r.status == 201, r


def texts(reply) -> list[str]:
    assert reply.status == 200, reply
    return [i.get("text") or i.get("body") for i in reply.json["items"]]


def post(api, event, who, text, **extra) -> dict:
    r = api.post(f"/events/{event['id']}/posts", {"text": text, **extra}, as_=who)
    assert r.status == 201, r
    return r.json


def test_feeds_leave_out_the_posts_of_whom_you_blocked(api, event, session, alice, bob, carol, blocked):
    since = api.get(f"/events/{event['id']}/posts", as_=alice).json["sinceCursor"]
    for who, text in ((bob, "bob was here"), (carol, "carol was here"), (alice, "alice was here")):
        post(api, event, who, text, sessionId=session["id"])
    event_feed, session_feed = f"/events/{event['id']}/posts", f"/sessions/{session['id']}/posts"

    everything = ["alice was here", "carol was here", "bob was here"]
    for path in (event_feed, session_feed):
        assert texts(api.get(path, as_=alice)) == ["alice was here", "carol was here"]
        assert texts(api.get(path, as_=carol)) == everything
        assert texts(api.get(path)) == everything  # anonymous readers: nobody to hide from
    polled = api.get(event_feed, query={"since": since}, as_=alice)
    assert sorted(texts(polled)) == ["alice was here", "carol was here"]
    assert texts(api.get(event_feed, as_=bob)) == everything  # one direction


def test_notes_lists_leave_out_the_notes_of_whom_you_blocked(api, session, alice, bob, carol, blocked):
    for who in (bob, carol):
        r = api.post(
            f"/sessions/{session['id']}/notes",
            {"body": f"{who.username}'s note", "visibility": "public"},
            as_=who,
        )
        assert r.status == 201, r
    path = f"/sessions/{session['id']}/notes"
    assert texts(api.get(path, as_=alice)) == ["carol's note"]
    assert sorted(texts(api.get(path, as_=carol))) == ["bob's note", "carol's note"]


def test_questions_leave_out_the_questions_of_whom_you_blocked(api, session, alice, bob, carol, blocked):
    for who, extra in ((bob, {"anonymous": True}), (carol, {})):
        r = api.post(
            f"/sessions/{session['id']}/questions", {"text": f"{who.username} asks", **extra}, as_=who
        )
        assert r.status == 201, r
    path = f"/sessions/{session['id']}/questions"
    assert texts(api.get(path, as_=alice)) == ["carol asks"]
    assert sorted(texts(api.get(path, as_=carol))) == ["bob asks", "carol asks"]


def test_live_ticks_and_messages_leave_out_whom_you_blocked(
    api, event, session, alice, bob, carol, blocked, pumps_of, management
):
    Socket(api, "alice=", alice.token).send("subscribe", sessionId=session["id"])
    Socket(api, "carol=", carol.token).send("subscribe", sessionId=session["id"])
    pumps = pumps_of(PUSH)  # its own subscription to the stream
    post(api, event, bob, "bob live", sessionId=session["id"])
    post(api, event, carol, "carol live", sessionId=session["id"])
    r = api.post(f"/sessions/{session['id']}/questions", {"text": "bob asks live"}, as_=bob)
    assert r.status == 201, r
    pumps.drain()

    def seen(connection_id: str) -> list[str]:
        got = []
        for m in management.received.get(connection_id, []):
            got += [p["text"] for p in m.get("posts", [])]
            got += [m["question"]["text"]] if "question" in m else []
        return sorted(got)

    assert seen("carol=") == ["bob asks live", "bob live", "carol live"]
    assert seen("alice=") == ["carol live"]
