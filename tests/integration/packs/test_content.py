"""Packs compiled from the real stores on moto (built from template.yaml): content made through the
API (and the resources worker through the pumps), then ``compile_pack`` with the production stores
and in-memory writers; the assertions read the bytes a reader would get."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile

import pytest

from tests.support.circulation import note as _note

ROUTER = "StreamRouterFunction"
WORKER = "ResourcesWorkerFunction"


@pytest.fixture
def pumps(pumps_of):
    return pumps_of(ROUTER, WORKER)


@pytest.fixture
def compile_(aws, monkeypatch):
    """compile_pack with the production stores; returns {format: bytes}."""
    from backchannel.core import config

    def run(spec):
        from backchannel.capture.dynamo import DynamoCaptureRepo
        from backchannel.conference.dynamo import DynamoConferenceRepo
        from backchannel.packs.compile import compile_pack
        from backchannel.questions.dynamo import DynamoQuestionsRepo
        from backchannel.resources.dynamo import DynamoResourcesRepo

        monkeypatch.setenv("DATA_TABLE_NAME", aws.physical_id("DataTable"))
        config.reset()
        outputs: dict[str, io.BytesIO] = {}

        @contextlib.contextmanager
        def open_writer(fmt, content_type):
            outputs[fmt] = io.BytesIO()
            yield outputs[fmt]

        artifacts = compile_pack(
            spec,
            store=DynamoConferenceRepo(),
            capture=DynamoCaptureRepo(),
            questions=DynamoQuestionsRepo(),
            resources=DynamoResourcesRepo(),
            open_writer=open_writer,
        )
        data = {fmt: out.getvalue() for fmt, out in outputs.items()}
        assert {a.format: a.size for a in artifacts} == {f: len(b) for f, b in data.items()}
        return data

    return run


def _post(api, who, event, text, session=None, reply_to=None) -> dict:
    body = {"text": text, **({"sessionId": session["id"]} if session else {})}
    if reply_to:
        body["inReplyTo"] = reply_to
    r = api.post(f"/events/{event['id']}/posts", body, as_=who)
    assert r.status == 201, r
    return r.json


def _question(api, who, session, text, **extra) -> dict:
    r = api.post(f"/sessions/{session['id']}/questions", {"text": text, **extra}, as_=who)
    assert r.status == 201, r
    return r.json


def _content(api, pumps, olga, alice, bob, event, session):
    for who in (alice, bob):
        assert api.post(f"/events/{event['id']}/attendance", as_=who).status in (200, 201, 204)
    summary = {"body": "The **summary**. Paper https://doi.org/10.1000/summary1", "status": "published"}
    assert api.request("PUT", f"/sessions/{session['id']}/summary", json_body=summary, as_=olga).status == 200
    _note(api, alice, session, "PUBLIC-SHARED note, see doi:10.1000/paper2", "public")
    _note(api, alice, session, "PUBLIC-UNSHARED note", "public", share=False)
    _note(api, alice, session, "ATTENDEES-SHARED note", "attendees")
    _note(api, alice, session, "PRIVATE-ALICE note", "private")
    _note(api, bob, session, "PRIVATE-BOB note", "private")
    root = _post(api, bob, event, "ROOT-POST about https://example.org/slides #laww", session)
    for n in range(3):
        _post(api, alice, event, f"REPLY-{n} to root", session, reply_to=root["id"])
    _post(api, alice, event, "LONELY-POST in the session", session)
    _post(api, bob, event, "EVENT-WIDE-POST not in a session")
    q1 = _question(api, alice, session, "QUESTION-NAMED about learning?")
    q2 = _question(api, bob, session, "QUESTION-ANON about networks?", anonymous=True)
    hidden = _question(api, bob, session, "QUESTION-HIDDEN rude")
    assert api.post(f"/questions/{q1['id']}/votes", as_=bob).status in (200, 201)
    assert api.post(f"/questions/{q1['id']}/votes", as_=alice).status in (200, 201)
    assert api.patch(f"/questions/{q1['id']}", {"answered": True}, as_=olga).status == 200
    assert api.patch(f"/questions/{hidden['id']}", {"status": "hidden"}, as_=olga).status == 200
    pumps.drain()
    return q1, q2


def _spec(kind, target, member=None):
    from backchannel.packs.compile import PackSpec

    return PackSpec(pack_id="pack1", version=1, kind=kind, target_id=target, member_id=member)


def test_session_pack_of_a_public_event(api, pumps, make_event, make_session, olga, alice, bob, compile_):
    event = make_event()
    session = make_session(event)
    _content(api, pumps, olga, alice, bob, event, session)
    packs = compile_(_spec("session", session["id"]))

    doc = json.loads(packs["json"])
    assert doc["schemaVersion"] == 1 and doc["audience"] == "public"
    (section,) = doc["sections"]
    assert "summary" in section["summary"]["body"]
    assert [n["body"] for n in section["notes"]] == ["PUBLIC-SHARED note, see doi:10.1000/paper2"]
    posts = section["posts"]
    assert posts[0]["text"].startswith("ROOT-POST") and posts[0]["replyCount"] == 3
    assert [r["text"] for r in posts[0]["replies"]] == [
        "REPLY-0 to root",
        "REPLY-1 to root",
        "REPLY-2 to root",
    ]
    assert any(p["text"].startswith("LONELY-POST") for p in posts)
    questions = {q["text"].split()[0]: q for q in section["questions"]}
    assert set(questions) == {"QUESTION-NAMED", "QUESTION-ANON"}
    assert questions["QUESTION-NAMED"]["votes"] == 2 and questions["QUESTION-NAMED"]["answered"] is True
    assert questions["QUESTION-NAMED"]["asker"] == {"displayName": "alice"}
    assert questions["QUESTION-ANON"]["asker"] is None
    dois = {r["doi"] for r in section["readingList"]}
    assert dois == {"10.1000/summary1", "10.1000/paper2"}
    assert "https://example.org/slides" in {r["url"] for r in section["resources"]}
    assert {c["displayName"] for c in doc["contributors"]} == {"alice", "bob"}

    for fmt in ("html", "md", "json"):
        text = packs[fmt].decode()
        for absent in (
            "PUBLIC-UNSHARED",
            "ATTENDEES-SHARED",
            "PRIVATE-ALICE",
            "PRIVATE-BOB",
            "QUESTION-HIDDEN",
            "EVENT-WIDE-POST",
        ):
            assert absent not in text, (fmt, absent)
        for present in ("PUBLIC-SHARED", "ROOT-POST", "REPLY-2", "QUESTION-ANON", "10.1000/paper2"):
            assert present in text, (fmt, present)
    with zipfile.ZipFile(io.BytesIO(packs["epub"])) as z:
        book = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    assert "PUBLIC-SHARED" in book and "PRIVATE-ALICE" not in book and "ATTENDEES-SHARED" not in book


def test_an_unlisted_events_pack_is_for_its_attendees(
    api, pumps, make_event, make_session, olga, alice, bob, compile_
):
    event = make_event(visibility="unlisted")
    session = make_session(event)
    _content(api, pumps, olga, alice, bob, event, session)
    doc = json.loads(compile_(_spec("session", session["id"]))["json"])
    assert doc["audience"] == "attendees"
    bodies = {n["body"] for n in doc["sections"][0]["notes"]}
    assert bodies == {"PUBLIC-SHARED note, see doi:10.1000/paper2", "ATTENDEES-SHARED note"}


def test_event_pack_and_personal_pack(api, pumps, make_event, make_session, olga, alice, bob, compile_):
    event = make_event()
    late = make_session(event, hour=15, title="Closing panel")
    early = make_session(event, hour=9, title="Opening keynote")
    _content(api, pumps, olga, alice, bob, event, early)
    _note(api, alice, late, "LATE-PUBLIC note", "public")

    doc = json.loads(compile_(_spec("event", event["id"]))["json"])
    assert [s["title"] for s in doc["sections"]] == [
        "Opening keynote",
        "Closing panel",
        f"Across {event['name']}",
    ]
    wide = doc["sections"][-1]
    assert [p["text"] for p in wide["posts"]] == ["EVENT-WIDE-POST not in a session"]
    assert "PRIVATE" not in json.dumps(doc)

    mine = json.loads(compile_(_spec("personal", event["id"], alice.sub))["json"])
    assert mine["kind"] == "personal" and mine["memberId"] == alice.sub
    notes = {n["body"] for s in mine["sections"] for n in s["notes"]}
    assert notes == {
        "PUBLIC-SHARED note, see doi:10.1000/paper2",
        "PUBLIC-UNSHARED note",
        "ATTENDEES-SHARED note",
        "PRIVATE-ALICE note",
        "LATE-PUBLIC note",
    }
    assert "PRIVATE-BOB" not in json.dumps(mine)
    assert "summary" in mine["sections"][0]["summary"]["body"]


def test_a_member_who_withholds_consent_is_left_out(
    api, pumps, make_event, make_session, olga, alice, bob, compile_
):
    event = make_event()
    session = make_session(event)
    _content(api, pumps, olga, alice, bob, event, session)
    assert api.patch("/me", {"packConsent": False}, as_=alice).status == 200
    doc = json.loads(compile_(_spec("session", session["id"]))["json"])
    text = json.dumps(doc)
    for absent in ("PUBLIC-SHARED", "REPLY-0", "LONELY-POST", "QUESTION-NAMED"):
        assert absent not in text, absent
    assert "ROOT-POST" in text and "QUESTION-ANON" in text
    assert {c["displayName"] for c in doc["contributors"]} == {"bob"}
    mine = json.loads(compile_(_spec("personal", event["id"], alice.sub))["json"])
    assert "PRIVATE-ALICE" in json.dumps(mine)  # her own pack is hers


def test_unknown_targets_are_not_found(aws, compile_):
    from backchannel.core.errors import NotFound

    for kind in ("session", "event"):
        with pytest.raises(NotFound):
            compile_(_spec(kind, "01HZZZZZZZZZZZZZZZZZZZZZZZ"))


def test_a_personal_pack_holds_the_sessions_the_member_starred(
    api, make_event, make_session, alice, compile_
):
    event = make_event()
    starred = make_session(event, hour=9, title="Starred talk")
    make_session(event, hour=11, title="Not for me")
    assert api.post(f"/sessions/{starred['id']}/star", as_=alice).status == 201
    mine = json.loads(compile_(_spec("personal", event["id"], alice.sub))["json"])
    assert [s["title"] for s in mine["sections"]] == ["Starred talk"]


def test_what_an_organiser_hid_is_in_no_pack_and_warnings_come_first(
    api, pumps, make_event, make_session, olga, alice, bob, compile_
):
    event = make_event()
    session = make_session(event)
    _content(api, pumps, olga, alice, bob, event, session)
    root = next(
        p for p in api.get(f"/sessions/{session['id']}/posts").json["items"] if p["text"].startswith("ROOT")
    )
    notes = api.get(f"/sessions/{session['id']}/notes").json["items"]
    shared = next(n for n in notes if n["body"].startswith("PUBLIC-SHARED"))
    warned = {"text": "WARNED-POST with spoilers", "sessionId": session["id"], "contentWarning": "spoilers"}
    assert api.post(f"/events/{event['id']}/posts", warned, as_=bob).status == 201
    for kind, item_id in (("posts", root["id"]), ("notes", shared["id"])):
        body = {"hidden": True, "reason": "off-topic"}
        assert api.request("PUT", f"/{kind}/{item_id}/moderation", json_body=body, as_=olga).status == 200
    pumps.drain()  # PostHidden, NoteHidden: the resources worker takes their links out

    packs = compile_(_spec("session", session["id"]))
    section = json.loads(packs["json"])["sections"][0]
    assert "https://example.org/slides" not in {r["url"] for r in section["resources"]}
    assert {r["doi"] for r in section["readingList"]} == {"10.1000/summary1"}
    for fmt in ("html", "md", "json"):
        text = packs[fmt].decode()
        for absent in ("ROOT-POST", "PUBLIC-SHARED"):
            assert absent not in text, (fmt, absent)
        assert "LONELY-POST" in text
    assert "Content warning: spoilers</strong></p><p>WARNED-POST" in packs["html"].decode()
    assert "**Content warning: spoilers** WARNED-POST" in packs["md"].decode()
    mine = json.dumps(json.loads(compile_(_spec("personal", event["id"], alice.sub))["json"]))
    assert "PUBLIC-SHARED" not in mine and "PRIVATE-ALICE" in mine  # hidden: not even in her own pack
