"""What the API answers in JSON is not kept by browsers or proxies (``Cache-Control: no-store``): a
member's answers, anonymous ones and errors alike; a feed keeps the caching it sets itself."""

from __future__ import annotations


def test_json_answers_are_not_stored_and_feeds_keep_their_own_caching(api, event, alice):
    answers = {
        "signed in": api.get("/me", as_=alice),
        "anonymous": api.get(f"/events/{event['id']}"),
        "a public route, signed in": api.get(f"/events/{event['id']}", as_=alice),
        "created": api.post(f"/events/{event['id']}/posts", {"text": "hello"}, as_=alice),
        "an error": api.get("/sessions/01J0000000000000000000NONE", as_=alice),
        "a refused token": api.get("/events", headers={"authorization": "Bearer x.y.z"}),
    }
    for what, reply in answers.items():
        assert reply.headers["content-type"] in ("application/json", "application/problem+json"), what
        assert reply.headers["cache-control"] == "no-store", what
    feed = api.get(f"/events/{event['id']}/feed.atom")
    assert (feed.status, feed.headers["cache-control"]) == (200, "public, max-age=60")
