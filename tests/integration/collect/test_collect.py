"""Hashtag sources against the local fake networks (``local/fake_networks.py``, served here on a port of
its own): an organiser adds a source, a cycle (the collect worker, as the queue hands it a message)
stores the public statuses of consenting accounts as posts routed to their sessions, once each; the
cursor fetches nothing twice; a 429 backs off until the network's reset; an instance that is down is
recorded and tried again; a status deleted upstream leaves at the next pack build's re-check."""

from __future__ import annotations

import datetime as dt
import json

from tests.integration.collect.conftest import cycle, posts, publish, source


def test_a_cycle_collects_public_consenting_statuses_as_posts_routed_to_their_sessions(
    api, olga, event, session, fakes
):
    publish(fakes, "Working out loud at #WOL: https://example.org/wol/a-very-long-path")
    publish(fakes, "Hello #LAWW26 from the hall", "grace")
    publish(fakes, "no index #LAWW26", "n1", noindex=True)
    publish(fakes, "not indexable #LAWW26", "n2", indexable=False)
    publish(fakes, "not discoverable #LAWW26", "n3", discoverable=False)
    publish(fakes, "a bot-averse bio #LAWW26", "n4", note="I post about cats. #NoBot")
    publish(fakes, "an archive-averse bio #LAWW26", "n5", note="#noarchive please")
    publish(fakes, "unlisted #LAWW26", "n6")
    fakes.networks.mastodon.statuses[max(fakes.networks.mastodon.statuses)]["visibility"] = "unlisted"
    src = source(api, olga, event, fakes)
    assert src["hashtags"] == [] and src["postsCollected"] == 0 and src["lastPolledAt"] is None

    status = cycle(api, event, src)

    assert status["postsCollected"] == 2 and status["lastError"] is None and status["lastPolledAt"]
    feed = posts(api, f"/events/{event['id']}/posts")
    assert sorted(p["text"] for p in feed) == [
        "Hello #LAWW26 from the hall",
        "Working out loud at #WOL: https://example.org/wol/a-very-long-path",
    ]
    wol = next(p for p in feed if "#WOL" in p["text"])
    assert wol["sessionId"] == session["id"]
    assert wol["author"] == {"id": None, "displayName": "Ada"}
    host = fakes.url.split("://")[1]
    assert wol["origin"] == {
        "network": "mastodon",
        "url": f"{fakes.mastodon}/@ada/{wol['origin']['url'].rsplit('/', 1)[-1]}",
        "handle": f"@ada@{host}",
        "displayName": "Ada",
        "profileUrl": f"{fakes.mastodon}/@ada",
    }
    assert wol["links"] == ["https://example.org/wol/a-very-long-path"]
    assert [p["id"] for p in posts(api, f"/sessions/{session['id']}/posts")] == [wol["id"]]


def test_cursors_fetch_nothing_twice_and_upstream_ids_dedupe_across_sources(api, olga, event, session, fakes):
    publish(fakes, "first #LAWW26")
    src = source(api, olga, event, fakes)
    assert cycle(api, event, src)["postsCollected"] == 1
    publish(fakes, "second #LAWW26")
    fakes.networks.mastodon.requests.clear()

    assert cycle(api, event, src)["postsCollected"] == 2
    calls = [r["path"] for r in fakes.networks.mastodon.requests]
    assert calls == ["/api/v1/timelines/tag/laww26", "/api/v1/timelines/tag/wol"]
    # a second source on the same instance sees both again: the same posts, not new ones
    other = source(api, olga, event, fakes, hashtags=["LAWW26"])
    assert other["hashtags"] == ["laww26"]
    assert cycle(api, event, other)["postsCollected"] == 0
    assert len(posts(api, f"/events/{event['id']}/posts")) == 2


def test_a_429_backs_off_until_the_networks_reset_and_a_down_instance_is_retried(
    api, olga, event, fakes, data_table
):
    publish(fakes, "hello #LAWW26")
    src = source(api, olga, event, fakes, hashtags=["laww26"])
    fakes.networks.mastodon.fault = {"status": 429, "times": 1, "resetSeconds": 600}

    limited = cycle(api, event, src)
    assert limited["postsCollected"] == 0 and "rate limit" in limited["lastError"]
    until = dt.datetime.fromisoformat(limited["backoffUntil"].replace("Z", "+00:00"))
    assert dt.timedelta(seconds=590) < until - dt.datetime.now(dt.UTC) <= dt.timedelta(seconds=600)
    fakes.networks.mastodon.requests.clear()
    assert cycle(api, event, src)["postsCollected"] == 0  # backing off: no call at all
    assert fakes.networks.mastodon.requests == []

    from backchannel.collect.dynamo import DynamoSourcesRepo  # the reset time passes

    repo = DynamoSourcesRepo()
    stored = repo.get(event["id"], src["id"])
    stored.backoff_until = "2000-01-01T00:00:00.000Z"
    repo.record(stored, 0)

    fakes.networks.mastodon.fault = {"status": 503, "times": 1, "resetSeconds": 0}
    down = cycle(api, event, src)
    assert (
        down["postsCollected"] == 0 and "answered 503" in down["lastError"] and down["backoffUntil"] is None
    )
    back = cycle(api, event, src)
    assert back["postsCollected"] == 1 and back["lastError"] is None


def test_a_status_deleted_upstream_leaves_the_feed_when_a_pack_is_built(
    api, olga, event, session, fakes, data_table, monkeypatch
):
    kept = publish(fakes, "kept #WOL")
    gone = publish(fakes, "gone soon #WOL", "grace")
    src = source(api, olga, event, fakes)
    assert cycle(api, event, src)["postsCollected"] == 2
    from urllib.request import Request, urlopen

    with urlopen(Request(f"{fakes.mastodon}/statuses/{gone}", method="DELETE"), timeout=5):
        pass
    from backchannel.capture.dynamo import DynamoCaptureRepo
    from backchannel.collect.dynamo import DynamoSourcesRepo
    from backchannel.collect.refresh import refresh_target
    from backchannel.conference.dynamo import DynamoConferenceRepo
    from backchannel.core import config

    monkeypatch.setenv("OUTBOUND_ALLOW_LIST", fakes.url)
    config.reset()
    assert refresh_target(
        DynamoConferenceRepo(),
        DynamoCaptureRepo(),
        DynamoSourcesRepo(),
        event["id"],
        "session",
        session["id"],
    ) == (1, 0)
    assert [p["text"] for p in posts(api, f"/sessions/{session['id']}/posts")] == ["kept #WOL"]
    assert kept


def test_only_the_events_organisers_manage_its_sources(api, olga, oscar, alice, event, fakes):
    base = f"/events/{event['id']}/sources"
    body = {"type": "mastodon", "instance": fakes.mastodon}
    assert api.post(base, body, as_=oscar).status == 403
    assert api.post(base, body, as_=alice).status == 403
    assert api.get(base, as_=alice).status == 403
    refused = api.post(base, {"type": "mastodon", "instance": "https://127.0.0.1/"}, as_=olga)
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "instance"
    assert api.post(base, {"type": "mastodon"}, as_=olga).status == 422
    src = source(api, olga, event, fakes)
    assert api.post(f"{base}/{src['id']}/sync", as_=oscar).status == 403
    synced = api.post(f"{base}/{src['id']}/sync", as_=olga)
    assert synced.status == 202 and synced.json["id"] == src["id"]
    assert api.delete(f"{base}/{src['id']}", as_=alice).status == 403
    assert api.delete(f"{base}/{src['id']}", as_=olga).status == 204
    assert api.get(base, as_=olga).json["items"] == []
    assert api.post(f"{base}/{src['id']}/sync", as_=olga).status == 404


def bluesky_post(fakes, text: str, handle: str = "ada.bsky.social", labels: tuple[str, ...] = ()) -> dict:
    from urllib.request import Request, urlopen

    body = {
        "text": text,
        "author": {"handle": handle, "displayName": handle.split(".")[0], "labels": list(labels)},
    }
    request = Request(
        f"{fakes.bluesky}/posts",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urlopen(request, timeout=5) as answer:
        return json.load(answer)


def test_bluesky_signs_in_with_a_sealed_app_password_and_skips_the_no_unauthenticated_label(
    api, olga, event, session, fakes
):
    bluesky_post(fakes, "Bluesky at #WOL")
    bluesky_post(fakes, "leave me out #WOL", "eve.bsky.social", ("!no-unauthenticated",))
    body = {
        "type": "bluesky",
        "instance": fakes.bluesky,
        "identifier": "olga.bsky.social",
        "appPassword": "abcd-efgh-ijkl-mnop",
    }
    created = api.post(f"/events/{event['id']}/sources", body, as_=olga)
    assert created.status == 201, created
    assert "appPassword" not in created.json and "abcd" not in created.body.decode()
    src = created.json

    status = cycle(api, event, src)

    assert status["postsCollected"] == 1 and status["lastError"] is None
    (post,) = posts(api, f"/sessions/{session['id']}/posts")
    assert post["text"] == "Bluesky at #WOL" and post["author"]["id"] is None
    rkey = post["origin"]["url"].rsplit("/", 1)[-1]
    assert post["origin"] == {
        "network": "bluesky",
        "url": f"https://bsky.app/profile/ada.bsky.social/post/{rkey}",
        "handle": "@ada.bsky.social",
        "displayName": "ada",
        "profileUrl": "https://bsky.app/profile/ada.bsky.social",
    }
    calls = [r["path"] for r in fakes.networks.bluesky.requests]
    assert calls[0] == "/xrpc/com.atproto.server.createSession"
    # the next cycle asks from its cursor: only the new post is stored
    bluesky_post(fakes, "later #LAWW26", "grace.bsky.social")
    assert cycle(api, event, src)["postsCollected"] == 2
