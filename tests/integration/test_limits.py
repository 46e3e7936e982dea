"""Fair limits over HTTP: a member over a limit gets 429 with Retry-After and a problem naming the
limit; what was accepted within it is all stored; members and classes do not share limits; a replay
with its Idempotency-Key is not charged and a 429 is not stored under it; a deployment's
``RateLimits`` parameter changes them; every writing route counts against its class.

The limits' clock is frozen at a whole hour (``tests.support.limits.frozen_clock``) and moved by hand,
so that no test waits for a window or straddles one by chance."""

from __future__ import annotations

import pytest

from backchannel_openapi.routes import api_routes, load_app, load_template, resolver_routes
from local.provision import provision
from tests.integration.conftest import future_event, pages
from tests.support.api import ApiClient
from tests.support.limits import frozen_clock, rate_limits

PROBLEM = "application/problem+json"


@pytest.fixture
def event(api, olga):
    return api.post("/events", future_event(hashtag="limits"), as_=olga).json


def post(api, event, user, text, **headers):
    return api.post(f"/events/{event['id']}/posts", {"text": text}, as_=user, headers=headers or None)


def stored_texts(api, event) -> list[str]:
    return sorted(p["text"] for items in pages(api, f"/events/{event['id']}/posts", limit=100) for p in items)


def test_the_eleventh_post_in_a_minute_is_refused_with_retry_after_and_nothing_accepted_is_lost(
    api, event, alice, bob, monkeypatch
):
    clock = frozen_clock(monkeypatch, 1_800_000_000 + 15)  # 15 s into a minute
    replies = [post(api, event, alice, f"post {n}") for n in range(11)]
    assert [r.status for r in replies] == [201] * 10 + [429]
    refused = replies[-1]
    assert refused.headers["content-type"] == PROBLEM
    assert refused.headers["retry-after"] == "45"
    assert refused.json == {
        "type": "about:blank",
        "status": 429,
        "title": "Too many requests",
        "detail": "you reached the posts limit (10 a minute): try again in 45 s",
        "limit": "posts",
        "rate": 10,
        "window": 60,
        "retryAfter": 45,
    }
    assert stored_texts(api, event) == sorted(f"post {n}" for n in range(10))

    # another member's posts, and another class of the same member, are not touched
    assert [post(api, event, bob, f"bob {n}").status for n in range(10)] == [201] * 10
    assert api.post(f"/events/{event['id']}/attendance", {}, as_=alice).status == 201  # "profile"

    clock.now += 44
    assert post(api, event, alice, "still too early").status == 429
    clock.now += 1
    assert post(api, event, alice, "after Retry-After").status == 201
    assert len(stored_texts(api, event)) == 21


def test_the_steady_rate_holds_over_the_hour_and_replays_with_their_key_are_free(
    api, event, alice, monkeypatch
):
    rate_limits(api.stack, "posts=3/1m+5/1h")
    clock = frozen_clock(monkeypatch)
    key = {"Idempotency-Key": "k1"}
    minute0 = [post(api, event, alice, "m0 0", **key), post(api, event, alice, "m0 0", **key)]
    minute0 += [post(api, event, alice, f"m0 {n}") for n in (1, 2, 3)]
    assert [r.status for r in minute0] == [201, 201, 201, 201, 429]  # the replay is the stored answer
    assert minute0[1].json["id"] == minute0[0].json["id"]

    clock.now += 60
    key = {"Idempotency-Key": "k2"}
    minute1 = [post(api, event, alice, f"m1 {n}") for n in (0, 1)] + [post(api, event, alice, "m1 2", **key)]
    assert [r.status for r in minute1] == [201, 201, 429]
    assert (minute1[-1].json["rate"], minute1[-1].json["window"]) == (5, 3600)
    assert minute1[-1].headers["retry-after"] == str(3600 - 60)

    clock.now += 3600 - 60
    retried = post(api, event, alice, "m1 2", **key)  # the 429 was not stored under its key: it runs
    assert retried.status == 201
    assert stored_texts(api, event) == ["m0 0", "m0 1", "m0 2", "m1 0", "m1 1", "m1 2"]


def _writing_routes() -> list[tuple[str, str, str | None]]:
    """(method, path, limit class) of every route that is not a GET, from the functions' resolvers."""
    http_functions = {r.function.logical_id: r.function for r in api_routes(load_template())}
    return [
        (route.method, route.path, (route.openapi or {}).get("limit"))
        for function in http_functions.values()
        for route in resolver_routes(load_app(function))
        if route.method != "GET"
    ]


def test_every_writing_route_of_a_member_counts_against_a_class():
    unlimited = [(m, p) for m, p, limit in _writing_routes() if limit is None]
    assert unlimited == [("POST", "/unsubscribe/{token}")]  # public: a mailed token, no member to count


def test_a_deployment_s_rate_limits_apply_to_every_route_of_each_class(monkeypatch):
    """The ``RateLimits`` parameter, one request an hour for every class: the second request to any
    limited route is a 429 naming its class, whatever the first one answered (a 404 counts too)."""
    from moto import mock_aws

    from backchannel.core.limits import CLASSES

    spec = ",".join(f"{name}=1/1h" for name in CLASSES)
    frozen_clock(monkeypatch)
    with mock_aws():
        stack = provision("template.yaml", endpoint_url=None, parameters={"RateLimits": spec})
        assert {f.environment["RATE_LIMITS"] for f in stack.functions.values()} == {spec}
        api = ApiClient(stack)
        try:
            alice, seen = api.user("alice"), set()
            for method, path, limit in _writing_routes():
                if limit is None:
                    continue
                url = path.replace("{", "").replace("}", "")  # ids of nothing: 404s, counted all the same
                replies = [api.request(method, url, json_body={}, as_=alice) for _ in range(2)]
                assert replies[1].status == 429, (method, path, replies)
                assert (replies[1].json["limit"], replies[1].json["rate"]) == (limit, 1)
                seen.add(limit)
        finally:
            api.close()
    expected = {
        "posts",
        "notes",
        "questions",
        "votes",
        "follows",
        "channels",
        "packs",
        "organising",
        "profile",
        "reports",
        "exports",
    }
    assert seen == expected  # subscribe: the WebSocket's
