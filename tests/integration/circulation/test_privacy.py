"""Privacy of what circulates, replayed step by step through the real chain (APIs -> stream -> router ->
bus -> rules -> packs, fan-out and delivery workers on moto). What is asserted is what a recipient can
fetch: the answer of each route and link, and the bytes of the pack behind its redirect.

The probe this guards against: alice published her pack to bob and mallory, blocked mallory, wrote a
private note and rebuilt her pack without publishing; the recipients' inbox entries, feeds and links
then served the new, unpublished build with the private note in it."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import unquote, urlparse

import pytest

from local.pumps import Pumps
from tests.support.circulation import WORKERS, Runtime, email_channel, follow, note, sent_mail

PUBLIC = "Public notes: the keynote on #learning"
PRIVATE = "SECRET my private thoughts about the speaker"
ATTENDEES = "ROOMONLY the slides are on the room's share"
LATER = "LATER a public note written after publishing"
HTML = {"accept": "text/html,application/xhtml+xml"}


def fetch(aws, reply) -> str:
    """The bytes behind a download redirect (the presigned S3 URL), as text."""
    assert reply.status == 302, reply
    url = urlparse(reply.headers["location"])
    bucket = aws.outputs["PacksBucketName"]
    path = unquote(url.path).lstrip("/")
    key = path[len(bucket) + 1 :] if path.startswith(bucket + "/") else path
    return aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def build_personal_pack(api, pumps, who, event) -> dict:
    r = api.post("/me/packs", {"eventId": event["id"]}, as_=who)
    assert r.status in (200, 202), r
    pumps.drain()
    pack = api.get(f"/packs/{r.json['id']}", as_=who).json
    assert pack["status"] == "ready", pack
    return pack


def circulated_link(text: str) -> str:
    """The path of the first capability link in a mail body or a URL."""
    return re.search(r"/circulated/[A-Za-z0-9_-]+", text).group(0)


def webhook_link(receiver) -> str:
    published = [json.loads(r["body"]) for r in receiver.requests]
    [body] = [b for b in published if b["type"] == "pack.published"]
    return circulated_link(body["data"]["url"])


@pytest.fixture
def mallory(api):
    return api.user("mallory")


@pytest.fixture
def session(make_session, event):
    return make_session(event)


@pytest.fixture
def alice_published(api, pumps, alice, bob, mallory, event, session, receiver):
    """alice attends, writes a public note and publishes her pack (v1) to bob (inbox + email) and
    mallory (inbox + webhook + feed), who follow her; mallory never attended the event."""
    for who in (alice, bob, mallory):
        api.get("/me", as_=who)  # members exist from their first signed-in call
    assert api.post(f"/events/{event['id']}/attendance", {}, as_=alice).status == 201
    note(api, alice, session, PUBLIC, "public")
    follow(api, bob, "member", alice.sub)
    follow(api, mallory, "member", alice.sub)
    email_channel(api, pumps, bob, "bob@example.org")
    assert api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=mallory).status == 201
    feed = api.post("/me/channels", {"type": "feed"}, as_=mallory).json
    pack = build_personal_pack(api, pumps, alice, event)
    r = api.post(f"/packs/{pack['id']}/publish", as_=alice)
    assert r.status == 202, r
    pumps.drain()
    [mail] = [m for m in sent_mail("bob@example.org") if "code" not in m["Subject"]]
    return {
        "pack": pack,
        "bob_entry": api.get("/me/inbox", as_=bob).json["items"][0],
        "mallory_entry": api.get("/me/inbox", as_=mallory).json["items"][0],
        "bob_link": circulated_link(mail.get_body(("plain",)).get_content()),
        "mallory_link": webhook_link(receiver),
        "mallory_feed": urlparse(feed["feedUrl"]).path,
    }


def test_the_probe_recipients_never_reach_an_unpublished_build_and_a_blocked_one_reaches_nothing(
    api, aws, pumps, alice, bob, mallory, event, session, alice_published
):
    got = alice_published
    v1 = fetch(aws, api.get(f"/me/inbox/{got['bob_entry']['id']}/download", query={"format": "md"}, as_=bob))
    assert PUBLIC in v1

    # alice blocks mallory, writes a private note and rebuilds her pack without publishing it
    assert api.post("/me/blocks", {"memberId": mallory.sub}, as_=alice).status in (200, 201)
    note(api, alice, session, PRIVATE, "private")
    rebuilt = build_personal_pack(api, pumps, alice, event)
    assert rebuilt["readyVersion"] > got["pack"]["readyVersion"]
    assert PRIVATE in fetch(
        aws, api.get(f"/packs/{rebuilt['id']}/download", query={"format": "md"}, as_=alice)
    )

    # bob still gets exactly what was published to him, by every way in
    for reply in (
        api.get(f"/me/inbox/{got['bob_entry']['id']}/download", query={"format": "md"}, as_=bob),
        api.get(got["bob_link"], query={"format": "md"}),
    ):
        text = fetch(aws, reply)
        assert PUBLIC in text and PRIVATE not in text
    # ... and so after unfollowing: a letter that was sent stays with its recipient
    assert api.delete(f"/me/follows/member-{alice.sub}", as_=bob).status == 204
    assert PRIVATE not in fetch(aws, api.get(got["bob_link"], query={"format": "md"}))
    # the newest build is alice's own: nobody else reaches it
    assert api.get(f"/packs/{rebuilt['id']}/download", as_=bob).status == 404
    assert api.get(f"/packs/{rebuilt['id']}/download").status == 404

    # mallory, blocked, reaches nothing at all
    entry = got["mallory_entry"]["id"]
    assert api.get(f"/me/inbox/{entry}/download", query={"format": "md"}, as_=mallory).status == 410
    gone = api.get(got["mallory_link"], query={"format": "md"})
    assert gone.status == 410 and gone.json["detail"] == "Its sender no longer shares packs with you."
    page = api.get(got["mallory_link"], headers=HTML)
    assert page.status == 410 and page.headers["content-type"].startswith("text/html")
    assert b"no longer shares packs with you" in page.body
    assert api.get(f"{got['mallory_feed']}/{entry}").status == 410
    assert b"<entry>" not in api.get(got["mallory_feed"]).body
    [listed] = api.get("/me/inbox", as_=mallory).json["items"]
    assert listed["available"] == "blocked"


def test_a_circulated_personal_pack_holds_only_public_notes_and_the_preview_says_what_stays_out(
    api, aws, pumps, alice, mallory, event, session
):
    api.get("/me", as_=alice)
    assert api.post(f"/events/{event['id']}/attendance", {}, as_=alice).status == 201
    note(api, alice, session, PUBLIC, "public")
    note(api, alice, session, PRIVATE, "private")
    note(api, alice, session, ATTENDEES, "attendees")
    note(api, alice, session, "KEEPME a public note kept out of packs", "public", share=False)
    follow(api, mallory, "member", alice.sub)
    pack = build_personal_pack(api, pumps, alice, event)
    own = fetch(aws, api.get(f"/packs/{pack['id']}/download", query={"format": "md"}, as_=alice))
    assert PRIVATE in own and ATTENDEES in own  # her own copy holds everything she wrote

    preview = api.get(f"/packs/{pack['id']}/publication-preview", as_=alice)
    assert preview.status == 200, preview
    assert preview.json["includes"]["notes"] == 1
    assert {r["reason"]: r["count"] for r in preview.json["leftOut"]} == {
        "attendees": 1,
        "not-shared": 1,
        "private": 1,
    }
    assert api.get(f"/packs/{pack['id']}/publication-preview", as_=mallory).status == 404

    assert api.post(f"/packs/{pack['id']}/publish", as_=alice).status == 202
    pumps.drain()
    [entry] = api.get("/me/inbox", as_=mallory).json["items"]
    for fmt in ("md", "html", "json"):
        text = fetch(aws, api.get(f"/me/inbox/{entry['id']}/download", query={"format": fmt}, as_=mallory))
        assert PUBLIC in text
        assert PRIVATE not in text and ATTENDEES not in text and "KEEPME" not in text
    deliveries = api.get(f"/packs/{pack['id']}/deliveries", as_=alice).json
    left = {r["reason"]: r["count"] for r in deliveries["publications"][0]["leftOut"]}
    assert left == {"attendees": 1, "not-shared": 1, "private": 1}


def test_links_of_attendees_only_notes_do_not_travel_in_a_public_edition(
    api, aws, loopback, alice, bob, mallory, olga, event, session
):
    # with the resources worker: the session's ledger of links counts attendees-only notes too
    group = aws.stack.physical_ids["PacksScheduleGroup"]
    aws.client("scheduler").create_schedule_group(Name=group)
    workers = (*WORKERS, "ResourcesWorkerFunction")
    pumps = Pumps(aws, {name: Runtime(api, name) for name in workers}, sqs_retry_visibility=0)
    for who in (alice, bob):
        assert api.post(f"/events/{event['id']}/attendance", {}, as_=who).status == 201
    note(api, alice, session, "See https://example.org/room-only-slides for the deck", "attendees")
    note(api, bob, session, "Paper: https://example.org/open-paper", "public")
    follow(api, mallory, "event", event["id"])
    pumps.drain()  # the ledger first, then the pack
    pack = api.post(f"/sessions/{session['id']}/packs", as_=olga).json
    pumps.drain()
    ledger = api.get(f"/sessions/{session['id']}/resources", as_=alice).json["items"]
    assert {r["url"] for r in ledger} == {
        "https://example.org/room-only-slides",
        "https://example.org/open-paper",
    }
    assert api.post(f"/packs/{pack['id']}/publish", as_=olga).status == 202
    pumps.drain()
    [entry] = api.get("/me/inbox", as_=mallory).json["items"]
    reply = api.get(f"/me/inbox/{entry['id']}/download", query={"format": "json"}, as_=mallory)
    [section] = json.loads(fetch(aws, reply))["sections"]
    assert [r["url"] for r in section["resources"]] == ["https://example.org/open-paper"]
    assert "room-only-slides" not in json.dumps(section)


def test_attendees_only_notes_reach_only_the_event_s_members(
    api, aws, pumps, alice, bob, mallory, olga, make_event, make_session
):
    event = make_event(visibility="unlisted")
    session = make_session(event)
    for who in (alice, bob):
        assert api.post(f"/events/{event['id']}/attendance", {}, as_=who).status == 201
    note(api, alice, session, ATTENDEES, "attendees")
    follow(api, mallory, "event", event["id"])  # follows, never joined
    pack = api.post(f"/sessions/{session['id']}/packs", as_=olga).json
    pumps.drain()
    assert api.post(f"/packs/{pack['id']}/publish", as_=olga).status == 202
    pumps.drain()

    [entry] = api.get("/me/inbox", as_=bob).json["items"]
    got = fetch(aws, api.get(f"/me/inbox/{entry['id']}/download", query={"format": "md"}, as_=bob))
    assert ATTENDEES in got
    assert ATTENDEES in fetch(aws, api.get(f"/packs/{pack['id']}/download", query={"format": "md"}, as_=bob))
    assert api.get("/me/inbox", as_=mallory).json["items"] == []
    assert api.get(f"/packs/{pack['id']}/download", as_=mallory).status == 404
    assert api.get(f"/packs/{pack['id']}/download").status == 404

    # bob leaves the event: what was sent for its members is no longer his to fetch
    assert api.delete(f"/events/{event['id']}/attendance", as_=bob).status == 204
    assert api.get(f"/me/inbox/{entry['id']}/download", as_=bob).status == 410


def test_the_public_reaches_only_the_published_edition_of_a_session_pack(
    api, aws, pumps, alice, olga, event, session
):
    assert api.post(f"/events/{event['id']}/attendance", {}, as_=alice).status == 201
    note(api, alice, session, PUBLIC, "public")
    pack = api.post(f"/sessions/{session['id']}/packs", as_=olga).json
    pumps.drain()
    assert api.get(f"/packs/{pack['id']}/download").status == 409  # built, not published
    assert PUBLIC in fetch(aws, api.get(f"/packs/{pack['id']}/download", query={"format": "md"}, as_=olga))
    assert api.post(f"/packs/{pack['id']}/publish", as_=olga).status == 202
    pumps.drain()
    assert PUBLIC in fetch(aws, api.get(f"/packs/{pack['id']}/download", query={"format": "md"}))

    note(api, alice, session, LATER, "public")
    api.post(f"/sessions/{session['id']}/packs", as_=olga)
    pumps.drain()
    assert LATER in fetch(aws, api.get(f"/packs/{pack['id']}/download", query={"format": "md"}, as_=olga))
    assert LATER not in fetch(aws, api.get(f"/packs/{pack['id']}/download", query={"format": "md"}))


def test_a_withdrawal_only_removes_from_what_was_circulated(
    api, aws, pumps, alice, bob, event, session, receiver
):
    api.get("/me", as_=alice)
    assert api.post(f"/events/{event['id']}/attendance", {}, as_=alice).status == 201
    first = note(api, alice, session, "FIRST public note", "public")
    note(api, alice, session, "SECOND public note", "public")
    follow(api, bob, "member", alice.sub)
    hook = api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=bob).json
    pack = build_personal_pack(api, pumps, alice, event)
    api.post(f"/packs/{pack['id']}/publish", as_=alice)
    pumps.drain()
    link = webhook_link(receiver)

    note(api, alice, session, LATER, "public")  # written after publishing: never published
    assert api.delete(f"/notes/{first['id']}", as_=alice).status == 204
    pumps.drain()

    [entry] = api.get("/me/inbox", as_=bob).json["items"]
    assert entry["available"] == "yes"
    for reply in (
        api.get(f"/me/inbox/{entry['id']}/download", query={"format": "md"}, as_=bob),
        api.get(link, query={"format": "md"}),
    ):
        text = fetch(aws, reply)
        assert "SECOND public note" in text
        assert "FIRST public note" not in text and LATER not in text
    assert [d["type"] for d in receiver.delivered(hook["secret"])] == ["pack.published", "pack.retracted"]
    [pub] = api.get(f"/packs/{pack['id']}/deliveries", as_=alice).json["publications"]
    assert pub["revision"] == 2
    # the revision that held the withdrawn note is gone from the bucket
    bucket = aws.outputs["PacksBucketName"]
    found = aws.client("s3").list_objects_v2(Bucket=bucket, Prefix=f"editions/{pack['id']}/")
    folders = {o["Key"].rsplit("/", 1)[0] for o in found.get("Contents", [])}
    assert len(folders) == 1 and "/r2-" in folders.pop()


def test_links_expire_and_a_revoked_publication_answers_410_everywhere(
    api, aws, pumps, alice, bob, mallory, event, session, alice_published
):
    got = alice_published
    table = aws.client("dynamodb")
    name = aws.outputs["DataTableName"]
    tokens = [
        i
        for i in table.scan(TableName=name)["Items"]
        if i.get("type", {}).get("S") == "Token" and i.get("purpose", {}).get("S") == "pack"
    ]
    assert len(tokens) == 2  # one per delivery that carried a link (bob's mail, mallory's webhook)
    expires = dt.datetime.fromisoformat(tokens[0]["expiresAt"]["S"].replace("Z", "+00:00"))
    assert dt.timedelta(days=29) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=30)

    # a link past its time answers 410 with a page that says so
    for item in tokens:
        table.update_item(
            TableName=name,
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="SET expiresAt = :past",
            ExpressionAttributeValues={":past": {"S": "2020-01-01T00:00:00Z"}},
        )
    page = api.get(got["bob_link"], headers=HTML)
    assert page.status == 410 and b"This link has expired" in page.body
    assert (
        api.get(f"/me/inbox/{got['bob_entry']['id']}/download", as_=bob).status == 302
    )  # the inbox keeps it

    # the publisher revokes the publication: every way in answers 410
    version = got["pack"]["readyVersion"]
    assert api.delete(f"/packs/{got['pack']['id']}/publications/{version}", as_=bob).status == 404
    revoked = api.delete(f"/packs/{got['pack']['id']}/publications/{version}", as_=alice)
    assert revoked.status == 200 and revoked.json["revokedAt"], revoked
    assert api.get(f"/me/inbox/{got['bob_entry']['id']}/download", as_=bob).status == 410
    entry = got["mallory_entry"]["id"]
    assert api.get(f"{got['mallory_feed']}/{entry}").status == 410
    assert api.get("/me/inbox", as_=bob).json["items"][0]["available"] == "revoked"


def test_an_edition_built_before_a_withdrawal_landed_is_not_served(
    api, aws, pumps, alice, bob, event, session, monkeypatch
):
    """The race: the fan-out builds the edition while alice withdraws a note it read. The edition
    that build produced must never be served: it is built again, keeping only what may still go."""
    from backchannel.circulation.dynamo import DynamoCirculationRepo
    from backchannel.packs.editions import S3Editions

    api.get("/me", as_=alice)
    assert api.post(f"/events/{event['id']}/attendance", {}, as_=alice).status == 201
    doomed = note(api, alice, session, "DOOMED public note", "public")
    note(api, alice, session, "KEPT public note", "public")
    follow(api, bob, "member", alice.sub)
    pack = build_personal_pack(api, pumps, alice, event)

    real_build = S3Editions.build
    builds: list[frozenset | None] = []

    def build_while_alice_withdraws(self, pub, revision, restrict):
        built = real_build(self, pub, revision, restrict)
        builds.append(restrict)
        if len(builds) == 1:  # the note goes after this build read it, and the packs worker counts it
            assert api.delete(f"/notes/{doomed['id']}", as_=alice).status == 204
            DynamoCirculationRepo().retract_publications(pack["id"], now="2026-01-01T00:00:00Z")
        return built

    monkeypatch.setattr(S3Editions, "build", build_while_alice_withdraws)
    assert api.post(f"/packs/{pack['id']}/publish", as_=alice).status == 202
    pumps.drain()

    assert len(builds) >= 2 and builds[0] is None and builds[-1] is not None
    [entry] = api.get("/me/inbox", as_=bob).json["items"]
    text = fetch(aws, api.get(f"/me/inbox/{entry['id']}/download", query={"format": "md"}, as_=bob))
    assert "KEPT public note" in text and "DOOMED" not in text


def test_a_circulated_personal_pack_shows_no_session_its_member_only_starred_or_kept_private_notes_in(
    api, aws, pumps, alice, bob, olga, event, make_session, receiver
):
    talks = [make_session(event, title=f"Talk {n}", hour=9 + n) for n in range(4)]
    api.get("/me", as_=alice)
    assert api.post(f"/events/{event['id']}/attendance", {}, as_=alice).status == 201
    shared = note(api, alice, talks[0], PUBLIC, "public")
    note(api, alice, talks[1], PRIVATE, "private")
    assert api.post(f"/sessions/{talks[2]['id']}/star", as_=alice).status == 201
    follow(api, bob, "member", alice.sub)
    hook = api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=bob).json
    pack = build_personal_pack(api, pumps, alice, event)
    own = json.loads(
        fetch(aws, api.get(f"/packs/{pack['id']}/download", query={"format": "json"}, as_=alice))
    )
    assert [s["title"] for s in own["sections"]] == ["Talk 0", "Talk 1", "Talk 2"]
    api.post(f"/packs/{pack['id']}/publish", as_=alice)
    pumps.drain()

    def sections() -> list[str]:
        [entry] = api.get("/me/inbox", as_=bob).json["items"]
        reply = api.get(f"/me/inbox/{entry['id']}/download", query={"format": "json"}, as_=bob)
        return [s["title"] for s in json.loads(fetch(aws, reply))["sections"]]

    assert sections() == ["Talk 0"]
    # later: a public note and a star elsewhere, then a withdrawal: the rebuild only removes
    note(api, alice, talks[3], "ANOTHER public note, never published", "public")
    note(api, alice, talks[0], LATER, "public")
    api.post(f"/sessions/{talks[1]['id']}/star", as_=alice)
    assert api.delete(f"/notes/{shared['id']}", as_=alice).status == 204
    pumps.drain()
    assert sections() in (["Talk 0"], [])
    assert [d["type"] for d in receiver.delivered(hook["secret"])] == ["pack.published", "pack.retracted"]


def test_a_withdrawal_in_someone_else_s_pack_retracts_nothing_of_yours(
    api, aws, pumps, alice, bob, mallory, event, session, receiver
):
    for who in (alice, mallory):
        api.get("/me", as_=who)
        assert api.post(f"/events/{event['id']}/attendance", {}, as_=who).status == 201
    note(api, alice, session, PUBLIC, "public")
    theirs = note(api, mallory, session, "MALLORY public note", "public")
    follow(api, bob, "member", alice.sub)
    hook = api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=bob).json
    pack = build_personal_pack(api, pumps, alice, event)
    api.post(f"/packs/{pack['id']}/publish", as_=alice)
    pumps.drain()
    assert api.delete(f"/notes/{theirs['id']}", as_=mallory).status == 204
    pumps.drain()
    assert [d["type"] for d in receiver.delivered(hook["secret"])] == ["pack.published"]
    [pub] = api.get(f"/packs/{pack['id']}/deliveries", as_=alice).json["publications"]
    assert pub["revision"] == 1


def test_what_others_see_of_a_pack_is_what_was_published(api, aws, pumps, alice, olga, event, session):
    assert api.post(f"/events/{event['id']}/attendance", {}, as_=alice).status == 201
    note(api, alice, session, PUBLIC, "public")
    note(api, alice, session, ATTENDEES, "attendees")
    pack = api.post(f"/sessions/{session['id']}/packs", as_=olga).json
    pumps.drain()
    for reply in (api.get(f"/packs/{pack['id']}"), api.get(f"/sessions/{session['id']}/packs")):
        shown = reply.json if "id" in reply.json else reply.json["items"][0]
        assert (shown["readyVersion"], shown["formats"], shown["publicUrl"]) == (None, [], None)
    assert api.get(f"/packs/{pack['id']}", as_=olga).json["readyVersion"] == 1

    preview = api.get(f"/packs/{pack['id']}/publication-preview", as_=olga).json
    assert {r["reason"]: r["count"] for r in preview["leftOut"]} == {"attendees": 1}
    api.post(f"/packs/{pack['id']}/publish", as_=olga)
    pumps.drain()
    api.post(f"/sessions/{session['id']}/packs", as_=olga)  # v2, not published
    pumps.drain()
    shown = api.get(f"/packs/{pack['id']}").json
    assert shown["readyVersion"] == 1 and shown["publicUrl"] == f"/packs/{pack['id']}/download?format=html"
    assert api.get(f"/packs/{pack['id']}", as_=olga).json["readyVersion"] == 2
    assert api.delete(f"/packs/{pack['id']}/publications/01", as_=olga).status == 422
