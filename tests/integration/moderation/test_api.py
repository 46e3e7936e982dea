"""Moderation through the real handlers on moto: reports and the organisers' queue, hiding and
unhiding posts, notes and questions (what leaves which read path, what the author sees), held posts,
mutes, removals, the code of conduct, content warnings and the audit log; who may do each (a
stranger 404, a member 403)."""

from __future__ import annotations

import datetime as dt

import pytest


def post(api, event, who, text="A thought on #learning", **extra):
    r = api.post(f"/events/{event['id']}/posts", {"text": text, **extra}, as_=who)
    assert r.status == 201, r
    return r.json


def report(api, event, who, item_type, item_id, reason="harassment", **extra):
    return api.post(
        f"/events/{event['id']}/reports",
        {"type": item_type, "id": item_id, "reason": reason, **extra},
        as_=who,
    )


def moderate(api, kind, item_id, who, hidden, reason=None):
    return api.request(
        "PUT", f"/{kind}/{item_id}/moderation", json_body={"hidden": hidden, "reason": reason}, as_=who
    )


def feed_ids(api, event, who=None):
    return [p["id"] for p in api.get(f"/events/{event['id']}/posts", as_=who).json["items"]]


def log_actions(api, event, who):
    r = api.get(f"/events/{event['id']}/moderation-log", as_=who)
    assert r.status == 200, r
    return [(e["action"], e["itemId"] or e["memberId"]) for e in r.json["items"]]


@pytest.fixture
def carol(api):
    return api.user("carol")


def test_a_report_reaches_the_queue_and_hiding_takes_the_post_out_of_sight(
    api, event, olga, oscar, alice, bob
):
    mine = post(api, event, alice, "You are all wrong https://example.org/rant")
    other = post(api, event, alice, "Another one")
    r = report(api, event, bob, "post", mine["id"], comment="a pile-on")
    assert r.status == 201, r
    assert (r.json["itemId"], r.json["reason"], r.json["reporterId"]) == (mine["id"], "harassment", bob.sub)
    assert report(api, event, olga, "post", mine["id"], reason="spam").status == 201

    for who, status in ((bob, 403), (alice, 403), (oscar, 403), (None, 401)):
        assert api.get(f"/events/{event['id']}/reports", as_=who).status == status, who
    queue = api.get(f"/events/{event['id']}/reports", as_=olga).json["items"]
    assert [(q["itemId"], q["reportCount"]) for q in queue] == [(mine["id"], 2)]
    assert queue[0]["reasons"] == {"harassment": 1, "spam": 1, "off-topic": 0, "privacy": 0, "other": 0}
    assert queue[0]["item"]["text"].startswith("You are all wrong") and queue[0]["item"]["hidden"] is False
    assert {r["comment"] for r in queue[0]["reports"]} == {"a pile-on", None}

    # only the event's organisers hide, and they say why
    assert moderate(api, "posts", mine["id"], bob, True, "no").status == 403
    assert moderate(api, "posts", mine["id"], oscar, True, "no").status == 403
    refused = moderate(api, "posts", mine["id"], olga, True)
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "reason"
    hidden = moderate(api, "posts", mine["id"], olga, True, "harassment of other attendees")
    assert hidden.status == 200, hidden
    assert hidden.json["moderation"]["state"] == "hidden"

    assert feed_ids(api, event) == [other["id"]]
    assert feed_ids(api, event, olga) == [other["id"]]
    assert mine["text"] not in api.get(f"/events/{event['id']}/feed.atom").body.decode()
    assert api.get(f"/events/{event['id']}/reports", as_=olga).json["items"] == []  # actioned
    for who in (None, bob):
        assert api.get(f"/posts/{mine['id']}", as_=who).status == 404
    assert api.get(f"/posts/{other['id']}").status == 200
    seen = api.get(f"/posts/{mine['id']}", as_=alice).json  # its author sees that, and why
    assert seen["moderation"]["reason"] == "harassment of other attendees"
    assert api.get(f"/posts/{mine['id']}", as_=olga).status == 200
    notices = api.get("/me/moderation", as_=alice).json["items"]
    assert [(n["action"], n["itemId"], n["reason"]) for n in notices] == [
        ("post.hidden", mine["id"], "harassment of other attendees")
    ]
    assert "actorId" not in notices[0] and olga.sub not in str(notices)
    assert api.get("/me/moderation", as_=bob).json["items"] == []
    # a hidden post can be neither reported nor replied to
    assert report(api, event, bob, "post", mine["id"]).status == 422
    reply = api.post(f"/events/{event['id']}/posts", {"text": "re", "inReplyTo": mine["id"]}, as_=bob)
    assert reply.status == 422

    shown = moderate(api, "posts", mine["id"], olga, False)
    assert shown.status == 200 and shown.json["moderation"] is None
    assert feed_ids(api, event) == [other["id"], mine["id"]]
    assert log_actions(api, event, olga) == [("post.unhidden", mine["id"]), ("post.hidden", mine["id"])]
    entry = api.get(f"/events/{event['id']}/moderation-log", as_=olga).json["items"][1]
    assert (entry["actorId"], entry["memberId"], entry["itemType"]) == (olga.sub, alice.sub, "post")
    for who, status in ((bob, 403), (oscar, 403)):
        assert api.get(f"/events/{event['id']}/moderation-log", as_=who).status == status


def test_reports_are_checked(api, make_event, event, olga, alice, bob, carol):
    mine = post(api, event, alice)
    assert report(api, event, alice, "post", mine["id"]).status == 422  # your own: delete it instead
    unknown = report(api, event, bob, "note", mine["id"])
    assert unknown.status == 422 and unknown.json["errors"][0]["field"] == "id"
    bad = api.post(
        f"/events/{event['id']}/reports", {"type": "post", "id": mine["id"], "reason": "rude"}, as_=bob
    )
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "reason"
    private = make_event(hashtag="Closed", visibility="private")
    assert report(api, private, bob, "post", mine["id"]).status == 404  # a stranger sees no such event
    assert report(api, private, olga, "post", mine["id"]).status == 422  # not in this event

    # a dismissal empties the queue; the next report opens the item again, counted afresh
    assert report(api, event, bob, "post", mine["id"]).status == 201
    assert api.delete(f"/events/{event['id']}/reports/{mine['id']}", as_=bob).status == 403
    assert api.delete(f"/events/{event['id']}/reports/{mine['id']}", as_=olga).status == 204
    assert api.delete(f"/events/{event['id']}/reports/{mine['id']}", as_=olga).status == 404
    assert api.get(f"/events/{event['id']}/reports", as_=olga).json["items"] == []
    assert report(api, event, carol, "post", mine["id"], reason="spam").status == 201
    [entry] = api.get(f"/events/{event['id']}/reports", as_=olga).json["items"]
    assert entry["reportCount"] == 1 and [r["reporterId"] for r in entry["reports"]] == [carol.sub]
    assert log_actions(api, event, olga) == [("reports.dismissed", mine["id"])]
    assert api.get("/me/moderation", as_=alice).json["items"] == []  # a dismissal is not about her


def test_a_hidden_note_leaves_the_lists_and_its_author_sees_why(api, event, session, olga, alice, bob):
    assert api.post(f"/events/{event['id']}/attendance", {}, as_=bob).status == 201
    r = api.post(f"/sessions/{session['id']}/notes", {"body": "My notes", "visibility": "public"}, as_=bob)
    note = r.json
    etag = r.headers["etag"]
    assert report(api, event, alice, "note", note["id"], reason="privacy").status == 201
    assert moderate(api, "notes", note["id"], alice, True, "no").status == 403
    hidden = moderate(api, "notes", note["id"], olga, True, "names a minor")
    assert hidden.status == 200 and hidden.json["version"] == 2
    assert api.get(f"/sessions/{session['id']}/notes", as_=alice).json["items"] == []
    assert api.get(f"/sessions/{session['id']}/notes").json["items"] == []
    assert api.get(f"/notes/{note['id']}").status == 404
    assert api.get(f"/notes/{note['id']}", as_=alice).status == 404
    own = api.get(f"/notes/{note['id']}", as_=bob).json
    assert own["moderation"] == {"state": "hidden", "reason": "names a minor", "at": own["moderation"]["at"]}
    assert [n["id"] for n in api.get("/me/notes", as_=bob).json["items"]] == [note["id"]]
    # an edit begun before the organiser's action sees that the note changed
    body = {"body": "My notes, edited", "visibility": "public"}
    assert (
        api.request("PUT", f"/notes/{note['id']}", json_body=body, headers={"if-match": etag}, as_=bob).status
        == 412
    )
    assert api.get(f"/events/{event['id']}/reports", as_=olga).json["items"] == []
    assert moderate(api, "notes", note["id"], olga, False).status == 200
    assert [n["id"] for n in api.get(f"/sessions/{session['id']}/notes").json["items"]] == [note["id"]]


def test_questions_are_hidden_with_a_reason_in_the_log(api, event, session, olga, alice, bob):
    q = api.post(f"/sessions/{session['id']}/questions", {"text": "Why?"}, as_=alice).json
    assert report(api, event, bob, "question", q["id"], reason="off-topic").status == 201
    assert moderate(api, "questions", q["id"], bob, True, "off-topic").status == 403
    r = moderate(api, "questions", q["id"], olga, True, "off-topic")
    assert r.status == 200 and r.json["status"] == "hidden"
    assert api.get(f"/sessions/{session['id']}/questions", as_=bob).json["items"] == []
    assert log_actions(api, event, olga) == [("question.hidden", q["id"])]
    assert [n["action"] for n in api.get("/me/moderation", as_=alice).json["items"]] == ["question.hidden"]
    assert moderate(api, "questions", q["id"], olga, False).json["status"] == "approved"
    assert [x["id"] for x in api.get(f"/sessions/{session['id']}/questions").json["items"]] == [q["id"]]


def test_a_muted_member_reads_but_does_not_write(api, event, session, olga, alice, bob):
    api.get("/me", as_=alice)
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    path = f"/events/{event['id']}/mutes/{alice.sub}"
    body = {"reason": "flooding the wall", "until": until}
    assert api.request("PUT", path, json_body=body, as_=bob).status == 403
    past = {"reason": "x", "until": "2020-01-01T00:00:00Z"}
    assert api.request("PUT", path, json_body=past, as_=olga).status == 422
    olga_path = f"/events/{event['id']}/mutes/{olga.sub}"
    assert api.request("PUT", olga_path, json_body={"reason": "x"}, as_=olga).status == 409
    muted = api.request("PUT", path, json_body=body, as_=olga)
    assert muted.status == 200 and muted.json["memberId"] == alice.sub, muted

    refused = api.post(f"/events/{event['id']}/posts", {"text": "hello"}, as_=alice)
    assert refused.status == 403 and "muted" in refused.json["detail"]
    assert api.post(f"/sessions/{session['id']}/notes", {"body": "n"}, as_=alice).status == 403
    assert api.post(f"/sessions/{session['id']}/questions", {"text": "q?"}, as_=alice).status == 403
    assert api.get(f"/events/{event['id']}/posts", as_=alice).status == 200  # reading goes on
    assert [m["memberId"] for m in api.get(f"/events/{event['id']}/mutes", as_=olga).json["items"]] == [
        alice.sub
    ]
    assert api.get(f"/events/{event['id']}/mutes", as_=bob).status == 403
    assert [n["action"] for n in api.get("/me/moderation", as_=alice).json["items"]] == ["member.muted"]

    assert api.delete(path, as_=bob).status == 403
    assert api.delete(path, as_=olga).status == 204
    assert api.delete(path, as_=olga).status == 404
    post(api, event, alice, "hello again")
    assert log_actions(api, event, olga) == [("member.unmuted", alice.sub), ("member.muted", alice.sub)]


def test_an_attendee_is_removed_from_a_private_event(api, make_event, event, olga, alice):
    api.get("/me", as_=alice)
    private = make_event(hashtag="Closed", visibility="private")
    assert api.post(f"/events/{private['id']}/attendance", {"memberId": alice.sub}, as_=olga).status == 201
    assert api.get(f"/events/{private['id']}", as_=alice).status == 200
    path = f"/events/{private['id']}/members/{alice.sub}"
    assert api.delete(path, as_=alice).status == 403
    assert api.delete(path, as_=olga, query={"reason": "threats"}).status == 204
    assert api.get(f"/events/{private['id']}", as_=alice).status == 404
    assert api.delete(path, as_=olga).status == 404
    [entry] = api.get(f"/events/{private['id']}/moderation-log", as_=olga).json["items"]
    assert (entry["action"], entry["memberId"], entry["reason"]) == ("member.removed", alice.sub, "threats")
    assert api.delete(f"/events/{event['id']}/members/{alice.sub}", as_=olga).status == 409  # public: mute


def test_held_posts_wait_for_approval(api, make_event, olga, alice, bob):
    event = make_event(holdPosts=True)
    held = post(api, event, alice, "first!")
    assert held["moderation"]["state"] == "held"
    own = post(api, event, olga, "welcome")  # an organiser's posts are not held
    assert own["moderation"] is None
    assert feed_ids(api, event) == [own["id"]]
    assert api.get(f"/posts/{held['id']}", as_=bob).status == 404
    assert api.get(f"/events/{event['id']}/held-posts", as_=bob).status == 403
    waiting = api.get(f"/events/{event['id']}/held-posts", as_=olga).json["items"]
    assert [p["id"] for p in waiting] == [held["id"]]
    approved = moderate(api, "posts", held["id"], olga, False)
    assert approved.status == 200 and approved.json["moderation"] is None
    assert feed_ids(api, event) == [held["id"], own["id"]]  # at the top: it appears now
    assert api.get(f"/events/{event['id']}/held-posts", as_=olga).json["items"] == []
    assert log_actions(api, event, olga) == [("post.approved", held["id"])]


def test_content_warnings_and_the_code_of_conduct(api, make_event, event, session, alice):
    warned = post(api, event, alice, "Spoilers for the finale", contentWarning="spoilers")
    assert warned["contentWarning"] == "spoilers"
    assert api.get(f"/events/{event['id']}/posts").json["items"][0]["contentWarning"] == "spoilers"
    body = {"body": "Graphic detail", "visibility": "public", "contentWarning": "medical imagery"}
    note = api.post(f"/sessions/{session['id']}/notes", body, as_=alice).json
    assert api.get(f"/notes/{note['id']}").json["contentWarning"] == "medical imagery"
    bad = api.post(f"/events/{event['id']}/posts", {"text": "x", "contentWarning": "a\nb"}, as_=alice)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "contentWarning"

    # joining accepts the event's code of conduct, and says which
    coc = make_event(hashtag="Coc", codeOfConductUrl="https://example.org/coc-v2")
    joined = api.post(f"/events/{coc['id']}/attendance", {}, as_=alice)
    assert joined.status == 201
    assert joined.json["codeOfConduct"] == {
        "url": "https://example.org/coc-v2",
        "acceptedAt": joined.json["since"],
    }
    without = make_event(hashtag="NoCoc", codeOfConductUrl=None)
    assert api.post(f"/events/{without['id']}/attendance", {}, as_=alice).json["codeOfConduct"] is None
