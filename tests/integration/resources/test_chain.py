"""Resources through the real chain on moto built from template.yaml: API writes -> the table's stream
-> the stream router -> the bus -> the template's rule -> the resources queue -> the resources worker,
observed through GET /sessions/{id}/resources and GET /events/{id}/resources."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import BusTap, pages

ROUTER = "StreamRouterFunction"
WORKER = "ResourcesWorkerFunction"


@pytest.fixture
def pumps(pumps_of):
    """The router's stream and the worker's queue, driven by the test (failed messages retried at once)."""
    return pumps_of(ROUTER, WORKER)


def post(api, who, event, text, session=None) -> dict:
    body = {"text": text, **({"sessionId": session["id"]} if session else {})}
    r = api.post(f"/events/{event['id']}/posts", body, as_=who)
    assert r.status == 201, r
    return r.json


def note(api, who, session, body, visibility) -> dict:
    r = api.post(f"/sessions/{session['id']}/notes", {"body": body, "visibility": visibility}, as_=who)
    assert r.status == 201, r
    return {**r.json, "etag": r.headers["etag"]}


def write_summary(api, who, session, body, status="published") -> None:
    summary = {"body": body, "status": status}
    r = api.request("PUT", f"/sessions/{session['id']}/summary", json_body=summary, as_=who)
    assert r.status == 200, r


def listed(api, path: str, **query) -> list[dict]:
    r = api.get(path, query=query)
    assert r.status == 200, r
    return r.json["items"]


def shares(api, path: str) -> dict[str, int]:
    return {r["url"]: r["shares"] for r in listed(api, path)}


def session_path(session) -> str:
    return f"/sessions/{session['id']}/resources"


def event_path(event) -> str:
    return f"/events/{event['id']}/resources"


# -- counting ------------------------------------------------------------------------------------------


def test_variants_of_a_link_are_one_resource_counted_by_distinct_members(
    api, event, session, alice, bob, pumps
):
    post(api, alice, event, "Great guide https://Example.org/Guide/?utm_source=mastodon#intro", session)
    post(api, alice, event, "Again: https://example.org/Guide", session)
    post(api, bob, event, "+1 https://EXAMPLE.org:443/Guide/?fbclid=abc", session)
    post(api, bob, event, "Mine: https://other.example/post")
    pumps.drain()

    items = listed(api, session_path(session))
    assert items[0] == {
        "id": items[0]["id"],
        "url": "https://example.org/Guide",
        "kind": "link",
        "doi": None,
        "shares": 2,
    }
    assert len(items) == 1  # bob's other post has no session
    assert shares(api, event_path(event)) == {"https://example.org/Guide": 2, "https://other.example/post": 1}


def test_dois_are_papers(api, event, session, alice, bob, pumps):
    post(api, alice, event, "Read doi:10.1000/XYZ.123 (and https://doi.org/10.1000/xyz.123)", session)
    post(api, bob, event, "The paper: https://dx.doi.org/10.1000/xyz.123", session)
    pumps.drain()

    [paper] = listed(api, session_path(session))
    assert paper["kind"] == "paper"
    assert paper["doi"] == "10.1000/xyz.123"
    assert paper["url"] == "https://doi.org/10.1000/xyz.123"
    assert paper["shares"] == 2


def test_most_shared_first_and_paged(api, olga, event, session, alice, bob, pumps):
    post(
        api,
        alice,
        event,
        "https://example.org/three https://example.org/two https://example.org/one",
        session,
    )
    post(api, bob, event, "https://example.org/three https://example.org/two", session)
    post(api, olga, event, "https://example.org/three", session)
    pumps.drain()

    assert [(r["url"], r["shares"]) for r in listed(api, session_path(session))] == [
        ("https://example.org/three", 3),
        ("https://example.org/two", 2),
        ("https://example.org/one", 1),
    ]
    seen = [i["url"] for items in pages(api, session_path(session), limit=2) for i in items]
    assert seen == ["https://example.org/three", "https://example.org/two", "https://example.org/one"]
    cursor = api.get(session_path(session), query={"limit": 1}).json["nextCursor"]
    assert api.get(event_path(event), query={"cursor": cursor}).status == 400  # a cursor is its list's


def test_a_deleted_posts_links_are_uncounted(api, event, session, alice, bob, pumps):
    mine = post(api, alice, event, "https://example.org/shared", session)
    post(api, bob, event, "https://example.org/shared", session)
    pumps.drain()
    assert shares(api, session_path(session)) == {"https://example.org/shared": 2}

    assert api.delete(f"/posts/{mine['id']}", as_=alice).status == 204
    pumps.drain()
    assert shares(api, session_path(session)) == {"https://example.org/shared": 1}


def test_a_resource_is_gone_when_nobody_shares_it(api, event, session, alice, pumps):
    first = post(api, alice, event, "https://example.org/only", session)
    second = post(api, alice, event, "again https://example.org/only", session)
    pumps.drain()
    assert shares(api, session_path(session)) == {"https://example.org/only": 1}

    api.delete(f"/posts/{first['id']}", as_=alice)
    pumps.drain()
    assert shares(api, session_path(session)) == {"https://example.org/only": 1}  # still in the other post
    api.delete(f"/posts/{second['id']}", as_=alice)
    pumps.drain()
    assert listed(api, session_path(session)) == []
    assert listed(api, event_path(event)) == []


# -- notes and summaries -----------------------------------------------------------------------------


def test_shared_notes_count_private_ones_never(api, event, session, alice, bob, pumps):
    api.post(f"/events/{event['id']}/attendance", as_=bob)
    note(api, alice, session, "Slides: https://example.org/slides", "public")
    note(api, bob, session, "For the room: https://example.org/slides", "attendees")
    note(api, alice, session, "My secret https://example.org/private", "private")
    pumps.drain()

    assert shares(api, session_path(session)) == {"https://example.org/slides": 2}
    assert shares(api, event_path(event)) == {"https://example.org/slides": 2}


def test_a_note_made_private_withdraws_its_links(api, event, session, alice, pumps):
    shared = note(api, alice, session, "https://example.org/a https://example.org/b", "public")
    pumps.drain()
    assert shares(api, session_path(session)) == {"https://example.org/a": 1, "https://example.org/b": 1}

    path = f"/notes/{shared['id']}"
    changed = api.request(
        "PUT",
        path,
        json_body={"body": "https://example.org/b https://example.org/c", "visibility": "public"},
        as_=alice,
        headers={"If-Match": shared["etag"]},
    )
    assert changed.status == 200, changed
    pumps.drain()
    assert shares(api, session_path(session)) == {"https://example.org/b": 1, "https://example.org/c": 1}

    hidden = api.request(
        "PUT",
        path,
        json_body={"body": "https://example.org/b https://example.org/c", "visibility": "private"},
        as_=alice,
        headers={"If-Match": changed.headers["etag"]},
    )
    assert hidden.status == 200, hidden
    pumps.drain()
    assert listed(api, session_path(session)) == []


def test_a_published_summary_counts_as_the_organisers_and_a_new_version_replaces_it(
    api, olga, event, session, alice, pumps
):
    post(api, alice, event, "https://example.org/keynote", session)
    write_summary(api, olga, session, "Recording: https://example.org/keynote, paper doi:10.1000/k1")
    pumps.drain()
    assert shares(api, session_path(session)) == {
        "https://example.org/keynote": 2,
        "https://doi.org/10.1000/k1": 1,
    }

    write_summary(api, olga, session, "Recording moved: https://example.org/recording")
    write_summary(api, olga, session, "Draft only: https://example.org/draft", status="draft")
    pumps.drain()
    assert shares(api, session_path(session)) == {
        "https://example.org/keynote": 1,
        "https://example.org/recording": 1,
    }


def test_private_events_resources_are_theirs(api, make_event, make_session, olga, alice, pumps):
    private = make_event(hashtag="closed", visibility="private")
    session = make_session(private)
    post(api, olga, private, "https://example.org/inside", session)
    pumps.drain()
    assert api.get(session_path(session)).status == 404
    assert api.get(event_path(private), as_=alice).status == 404
    r = api.get(session_path(session), as_=olga)
    assert r.status == 200 and r.json["items"][0]["url"] == "https://example.org/inside"


# -- at least once ---------------------------------------------------------------------------------


def sqs_record(body: str, message_id: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "2"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:resources",
        "awsRegion": "us-east-1",
    }


def test_redelivered_events_change_nothing(aws, api, event, session, alice, bob, pumps):
    tap = BusTap(aws, "test-resources-tap", rule="ResourcesRule")  # a copy of what the worker gets
    mine = post(api, alice, event, "https://example.org/a https://example.org/b", session)
    post(api, bob, event, "https://example.org/a", session)
    shared = note(api, alice, session, "https://example.org/c", "public")
    api.delete(f"/posts/{mine['id']}", as_=alice)
    api.request(
        "PUT",
        f"/notes/{shared['id']}",
        json_body={"body": "https://example.org/c", "visibility": "private"},
        as_=alice,
        headers={"If-Match": shared["etag"]},
    )
    pumps.drain()
    settled = listed(api, event_path(event))
    assert [(r["url"], r["shares"]) for r in settled] == [("https://example.org/a", 1)]

    records = [sqs_record(m["Body"], m["MessageId"]) for m in tap.messages()]
    assert sorted(json.loads(r["body"])["detail-type"] for r in records) == [
        "NoteShared",
        "NoteWithdrawn",
        "PostCreated",
        "PostCreated",
        "PostDeleted",
    ]
    for batch in (records, list(reversed(records))):  # again, and out of order
        assert api.invoke(WORKER, {"Records": batch}) == {"batchItemFailures": []}
    assert listed(api, event_path(event)) == settled


def test_a_poison_message_fails_alone(aws, api, event, session, alice, pumps):
    tap = BusTap(aws, "test-resources-tap", rule="ResourcesRule")  # a copy of what the worker gets
    post(api, alice, event, "https://example.org/a", session)
    pumps.drain()
    [good] = [sqs_record(m["Body"], m["MessageId"]) for m in tap.messages()]
    poison = [
        sqs_record("not json", "poison-1"),
        sqs_record(json.dumps({"detail-type": "PostCreated", "detail": {"eventId": "x"}}), "poison-2"),
        sqs_record(json.dumps(["not", "an", "event"]), "poison-3"),
    ]
    result = api.invoke(WORKER, {"Records": [poison[0], good, poison[1], poison[2]]})
    assert result == {"batchItemFailures": [{"itemIdentifier": f"poison-{i}"} for i in (1, 2, 3)]}
    assert shares(api, session_path(session)) == {"https://example.org/a": 1}


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue(aws, api, pumps):
    sqs = aws.client("sqs")
    sqs.send_message(QueueUrl=aws.physical_id("ResourcesQueue"), MessageBody="not an event")
    pumps.drain()
    dead = sqs.receive_message(QueueUrl=aws.physical_id("ResourcesDLQ"), MaxNumberOfMessages=10)
    assert [m["Body"] for m in dead.get("Messages", [])] == ["not an event"]


# -- two workers on one resource -------------------------------------------------------------------


@pytest.fixture
def ledgers(data_table):
    """Two workers' ledgers on the template's table; ``race`` runs a rival's write between the first
    one's read and its write (the window optimistic conditions must close)."""
    from backchannel.resources.dynamo import DynamoResourcesRepo

    slow, rival = DynamoResourcesRepo(sleep=lambda _: None), DynamoResourcesRepo()

    def race(rival_write):
        real_read, pending = slow._read, [rival_write]

        def read_then_rival_writes(*args):
            found = real_read(*args)
            if pending:
                pending.pop()(rival)
            return found

        slow._read = read_then_rival_writes

    return slow, rival, race


def contribution(member: str):
    from backchannel.resources.model import Contribution

    return Contribution("event/E1", "https://example.org/a", "link", None, member)


def ranked(ledger) -> list[tuple[str, int]]:
    return [(r.url, r.shares) for r in ledger.ranked("event/E1", 10, None).items]


def test_two_members_sharing_at_once_are_both_counted(ledgers):
    from backchannel.resources.model import Source

    slow, rival, race = ledgers
    race(lambda other: other.add(Source("post", "P2"), contribution("bob")))
    slow.add(Source("post", "P1"), contribution("alice"))  # the resource is created under it
    race(lambda other: other.add(Source("post", "P4"), contribution("dora")))
    slow.add(Source("post", "P3"), contribution("carol"))  # read: 2 shares; then dora made it 3
    assert ranked(rival) == [("https://example.org/a", 4)]


def test_a_share_added_while_the_members_last_one_is_removed_keeps_them_counted(ledgers):
    from backchannel.resources.model import Source

    slow, rival, race = ledgers
    rival.add(Source("post", "P1"), contribution("alice"))
    race(lambda other: other.remove(Source("post", "P1"), contribution("alice")))
    slow.add(Source("post", "P2"), contribution("alice"))  # read: alice shares already; then she did not
    assert ranked(rival) == [("https://example.org/a", 1)]
    slow.remove(Source("post", "P2"), contribution("alice"))
    assert ranked(rival) == []


def test_a_removal_racing_another_members_share_keeps_the_count(ledgers):
    from backchannel.resources.model import Source

    slow, rival, race = ledgers
    rival.add(Source("post", "P1"), contribution("alice"))
    race(lambda other: other.add(Source("post", "P2"), contribution("bob")))
    slow.remove(Source("post", "P1"), contribution("alice"))  # read: shares 1; then bob made it 2
    assert ranked(rival) == [("https://example.org/a", 1)]
