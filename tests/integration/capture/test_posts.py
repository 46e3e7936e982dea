"""Posts through the capture API: extraction, sessions by hashtag, replies, offline replay, paging."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest

from backchannel.core.ids import new_ulid
from tests.integration.conftest import future_event, pages
from tests.support.limits import rate_limits


@pytest.fixture
def keynote(make_session, event):
    return make_session(event, hashtag="keynote")


def post(api, event, who, text, **extra):
    return api.post(f"/events/{event['id']}/posts", {"text": text, **extra}, as_=who)


def test_a_post_is_returned_with_what_the_server_extracted(api, event, alice):
    r = post(
        api, event, alice, "Great talk #Lernen #학습 #café by @jane_h, slides: https://example.org/slides."
    )
    assert r.status == 201, r
    body = r.json
    assert body["hashtags"] == ["Lernen", "학습", "café"]
    assert body["mentions"] == ["jane_h"]
    assert body["links"] == ["https://example.org/slides"]
    assert body["author"] == {"id": alice.sub, "displayName": "alice"}
    assert r.headers["location"] == f"/posts/{body['id']}"


def test_a_session_hashtag_attaches_the_post_to_the_session(api, event, keynote, alice):
    r = post(api, event, alice, "Loving the #KEYNOTE")
    assert r.json["sessionId"] == keynote["id"]
    assert [p["id"] for p in api.get(f"/sessions/{keynote['id']}/posts").json["items"]] == [r.json["id"]]


@pytest.mark.parametrize(
    ("text", "field"),
    [("", "text"), ("   ", "text"), ("x" * 501, "text"), ("bell\x07", "text"), (42, "text")],
)
def test_bad_text_is_refused(api, event, alice, text, field):
    r = post(api, event, alice, text)
    assert r.status == 422, r
    assert r.json["errors"][0]["field"] == field


def test_five_hundred_characters_not_bytes(api, event, alice):
    assert post(api, event, alice, "학" * 500).status == 201


def test_invalid_utf8_is_refused(api, event, alice):
    r = api.request("POST", f"/events/{event['id']}/posts", body=b'{"text": "\xff\xfe"}', as_=alice)
    assert r.status == 400


def test_session_and_reply_must_belong_to_the_event(api, make_event, make_session, alice):
    one, two = make_event(hashtag="one"), make_event(hashtag="two")
    other_session = make_session(two)
    other_post = post(api, two, alice, "elsewhere").json
    r = post(api, one, alice, "hi", sessionId=other_session["id"], inReplyTo=other_post["id"])
    assert r.status == 422
    assert {e["field"] for e in r.json["errors"]} == {"sessionId", "inReplyTo"}
    first = post(api, one, alice, "first").json
    assert post(api, one, alice, "reply", inReplyTo=first["id"]).json["inReplyTo"] == first["id"]


def test_posting_closes_days_after_the_event(api, olga, alice):
    today = dt.date.today()
    past = future_event(
        hashtag="old", startsOn=str(today - dt.timedelta(days=30)), endsOn=str(today - dt.timedelta(days=20))
    )
    event = api.post("/events", past, as_=olga).json
    r = post(api, event, alice, "too late")
    assert r.status == 409
    assert "closed for writing" in r.json["detail"]


def test_private_events_take_posts_from_their_members_only(api, make_event, olga, alice):
    event = make_event(visibility="private")
    assert post(api, event, alice, "let me in").status == 404
    assert post(api, event, olga, "organisers may").status == 201
    assert api.get(f"/events/{event['id']}/posts").status == 404


def test_offline_replay_leaves_exactly_one_post_each(api, event, alice):
    rate_limits(api.stack, "posts=150/1h")  # a day offline, replayed three times over: not a person's rate
    posts = [{"id": new_ulid(), "text": f"note {i} #offline"} for i in range(50)]
    sends = posts * 3
    random.Random(7).shuffle(sends)
    statuses = [api.post(f"/events/{event['id']}/posts", p, as_=alice).status for p in sends]
    assert statuses.count(201) == 50
    assert statuses.count(200) == 100
    ids = [p["id"] for items in pages(api, f"/events/{event['id']}/posts", limit=40) for p in items]
    assert sorted(ids) == sorted(p["id"] for p in posts)


def test_a_reused_client_id_with_other_content_is_a_conflict(api, event, alice, bob):
    client_id = new_ulid()
    assert post(api, event, alice, "mine", id=client_id).status == 201
    assert post(api, event, alice, "changed", id=client_id).status == 409
    assert post(api, event, bob, "mine", id=client_id).status == 404  # not his: see below
    assert post(api, event, alice, "x", id="not-a-ulid").status == 422


def test_an_id_of_a_post_in_a_private_event_reveals_nothing(api, make_event, event, olga, alice):
    private = make_event(visibility="private", hashtag="hushhush")
    hidden_id, public_id = new_ulid(), new_ulid()
    assert post(api, private, olga, "behind closed doors", id=hidden_id).status == 201
    assert post(api, event, olga, "in the open", id=public_id).status == 201
    hidden = post(api, event, alice, "behind closed doors", id=hidden_id)
    seen = post(api, event, alice, "in the open", id=public_id)
    # the same answer whether the post is hidden from her or not: the id is simply not hers to use
    assert (hidden.status, seen.status) == (404, 404)
    assert hidden.body.replace(hidden_id.encode(), b"ID") == seen.body.replace(public_id.encode(), b"ID")
    assert hidden.json["errors"] == [
        {"field": "id", "message": f"no post {hidden_id} of yours: choose another id"}
    ]
    feed = api.get(f"/events/{private['id']}/posts", as_=olga).json["items"]
    assert [(p["id"], p["text"]) for p in feed] == [(hidden_id, "behind closed doors")]  # untouched
    replay = post(api, private, olga, "behind closed doors", id=hidden_id)  # the owner's replay
    assert (replay.status, replay.json["id"]) == (200, hidden_id)


def test_pages_are_newest_first_without_gaps_or_duplicates_under_concurrent_writes(api, event, alice, bob):
    rate_limits(api.stack, "posts=20/1h")
    for i in range(12):
        post(api, event, alice, f"before {i}")
    seen: list[str] = []
    post(api, event, bob, "during 0")  # someone posts before every page
    for n, items in enumerate(pages(api, f"/events/{event['id']}/posts", limit=5), start=1):
        seen += [p["text"] for p in items]
        post(api, event, bob, f"during {n}")
    assert len(seen) == len(set(seen))
    befores = [t for t in seen if t.startswith("before")]
    assert befores == [f"before {i}" for i in reversed(range(12))]


def test_since_returns_only_newer_posts(api, event, alice):
    for i in range(3):
        post(api, event, alice, f"old {i}")
    first = api.get(f"/events/{event['id']}/posts").json
    assert api.get(f"/events/{event['id']}/posts", query={"since": first["sinceCursor"]}).json["items"] == []
    post(api, event, alice, "new 1")
    post(api, event, alice, "new 2")
    newer = api.get(f"/events/{event['id']}/posts", query={"since": first["sinceCursor"]}).json
    assert [p["text"] for p in newer["items"]] == ["new 2", "new 1"]
    again = api.get(f"/events/{event['id']}/posts", query={"since": newer["sinceCursor"]}).json
    assert again["items"] == []


def test_an_empty_feed_still_gives_a_since_cursor(api, event, alice):
    empty = api.get(f"/events/{event['id']}/posts").json
    assert empty["items"] == []
    post(api, event, alice, "first!")
    assert [
        p["text"]
        for p in api.get(f"/events/{event['id']}/posts", query={"since": empty["sinceCursor"]}).json["items"]
    ] == ["first!"]


def test_a_poll_wins_over_a_cursor_sent_with_it(api, event, alice):
    for i in range(3):
        post(api, event, alice, f"old {i}")
    first = api.get(f"/events/{event['id']}/posts", query={"limit": "2"}).json
    assert first["nextCursor"]
    post(api, event, alice, "new")
    both = {"since": first["sinceCursor"], "cursor": first["nextCursor"]}
    polled = api.get(f"/events/{event['id']}/posts", query=both)
    assert polled.status == 200, polled.body
    assert [p["text"] for p in polled.json["items"]] == ["new"]
    assert polled.json["nextCursor"] is None


@pytest.mark.parametrize("query", [{"cursor": "nope"}, {"since": "nope"}, {"since": "e30", "cursor": "e30"}])
def test_bad_feed_cursors(api, event, query):
    assert api.get(f"/events/{event['id']}/posts", query=query).status == 400


def test_delete_by_author_or_organiser_only(api, event, olga, alice, bob):
    mine = post(api, event, alice, "mine").json
    theirs = post(api, event, alice, "moderate me").json
    assert api.delete(f"/posts/{mine['id']}", as_=bob).status == 403
    assert api.delete(f"/posts/{mine['id']}").status == 401
    assert api.delete(f"/posts/{mine['id']}", as_=alice).status == 204
    assert api.delete(f"/posts/{theirs['id']}", as_=olga).status == 204
    assert api.get(f"/events/{event['id']}/posts").json["items"] == []
    assert api.delete(f"/posts/{mine['id']}", as_=alice).status == 404


def test_concurrent_posts_all_land(api, event, alice):
    errors = []

    def send(i):
        r = post(api, event, alice, f"burst {i}")
        if r.status != 201:
            errors.append(r)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(api.get(f"/events/{event['id']}/posts", query={"limit": 50}).json["items"]) == 10
