"""Session notes (visibility, ETags, replay) and organiser summaries (drafts, versions)."""

from __future__ import annotations

from backchannel.core.ids import new_ulid
from tests.integration.conftest import pages
from tests.support.races import Rendezvous, in_parallel, serialised_dynamodb


def note(api, session, who, body="My notes", **extra):
    return api.post(f"/sessions/{session['id']}/notes", {"body": body, **extra}, as_=who)


def listed(api, session, who=None):
    """The titles of every note ``who`` may read in ``session``, two a page."""
    return [
        n["title"]
        for items in pages(api, f"/sessions/{session['id']}/notes", limit=2, as_=who)
        for n in items
    ]


def test_notes_are_private_by_default_and_carry_an_etag(api, session, alice):
    r = note(api, session, alice, "# Keynote\n\n- learn out loud")
    assert r.status == 201
    assert r.json["visibility"] == "private"
    assert r.json["shareInPacks"] is True
    assert r.headers["etag"] == f'"{r.json["id"]}.1"'
    assert r.headers["location"] == f"/notes/{r.json['id']}"
    assert api.get(f"/notes/{r.json['id']}").status == 404
    assert api.get(f"/notes/{r.json['id']}", as_=alice).json["body"] == "# Keynote\n\n- learn out loud"


def test_each_reader_sees_what_visibility_allows(api, event, session, olga, alice, bob):
    assert note(api, session, alice, title="x", visibility="attendees").status == 422  # not a member yet
    api.post(f"/events/{event['id']}/attendance", as_=bob)
    api.post(f"/events/{event['id']}/attendance", as_=alice)
    note(api, session, alice, title="a-public", visibility="public")
    note(api, session, alice, title="a-attendees", visibility="attendees")
    note(api, session, alice, title="a-private", visibility="private")
    note(api, session, bob, title="b-private", visibility="private")
    note(api, session, bob, title="b-public", visibility="public")
    carol = api.user("carol")

    assert sorted(listed(api, session)) == ["a-public", "b-public"]
    assert sorted(listed(api, session, carol)) == ["a-public", "b-public"]  # signed in, not attending
    assert sorted(listed(api, session, bob)) == ["a-attendees", "a-public", "b-private", "b-public"]
    assert sorted(listed(api, session, olga)) == ["a-attendees", "a-public", "b-public"]  # organisers attend
    assert sorted(listed(api, session, alice)) == ["a-attendees", "a-private", "a-public", "b-public"]


def test_my_notes_lists_all_of_mine_newest_first(api, event, session, alice, bob):
    api.post(f"/events/{event['id']}/attendance", as_=alice)
    for i in range(3):
        note(api, session, alice, title=f"n{i}", visibility=["private", "public", "attendees"][i])
    note(api, session, bob, title="bob's")
    titles = [n["title"] for n in api.get("/me/notes", as_=alice).json["items"]]
    assert titles == ["n2", "n1", "n0"]


def test_replace_with_if_match(api, session, alice, bob):
    created = note(api, session, alice, "v1", visibility="public")
    path, etag = f"/notes/{created.json['id']}", created.headers["etag"]
    body = {"body": "v2", "visibility": "public"}
    assert api.request("PUT", path, json_body=body, as_=alice).status == 428
    star = api.request("PUT", path, json_body=body, as_=alice, headers={"If-Match": "*"})
    assert (star.status, star.json["title"]) == (428, "Precondition required")
    assert "send its ETag" in star.json["detail"]
    assert api.get(path).json["body"] == "v1"  # "*" overwrote nothing
    assert api.request("PUT", path, json_body=body, as_=bob, headers={"If-Match": etag}).status == 403
    r = api.request("PUT", path, json_body=body, as_=alice, headers={"If-Match": etag})
    assert r.status == 200
    assert r.json["version"] == 2
    assert r.headers["etag"] != etag
    stale = api.request(
        "PUT", path, json_body={"body": "v3", "visibility": "public"}, as_=alice, headers={"If-Match": etag}
    )
    assert stale.status == 412
    assert api.get(path).json["body"] == "v2"  # nothing overwritten


def test_concurrent_edits_with_the_same_etag_exactly_one_wins(api, session, alice, monkeypatch):
    """Two edits with the note's ETag both read the note (its ETag matches for both) before either
    writes: the write's condition on the version read lets exactly one through; the other gets 412."""
    from backchannel.capture.dynamo import DynamoCaptureRepo
    from functions.capture_api import app as capture_api

    serialised_dynamodb(monkeypatch)
    created = note(api, session, alice, "base", visibility="public")
    path, etag = f"/notes/{created.json['id']}", created.headers["etag"]
    both_read = Rendezvous(2)

    class ReadThenWait(DynamoCaptureRepo):
        def get_note(self, note_id):
            found = super().get_note(note_id)
            both_read.point()  # neither edit writes before both have read
            return found

    monkeypatch.setattr(capture_api, "captured", ReadThenWait)

    def edit(i):
        body = {"body": f"edit {i}", "visibility": "public"}
        return lambda: api.request("PUT", path, json_body=body, as_=alice, headers={"If-Match": etag})

    results = in_parallel(edit(0), edit(1))

    assert sorted(r.status for r in results) == [200, 412], results
    winner = next(r for r in results if r.status == 200)
    stored = api.get(path).json
    assert (stored["body"], stored["version"]) == (winner.json["body"], 2)


def test_making_a_note_private_hides_it_at_once(api, session, alice, bob):
    created = note(api, session, alice, title="t", visibility="public")
    path = f"/notes/{created.json['id']}"
    api.request(
        "PUT",
        path,
        json_body={"body": "b", "title": "t", "visibility": "private"},
        as_=alice,
        headers={"If-Match": created.headers["etag"]},
    )
    assert api.get(path, as_=bob).status == 404
    assert listed(api, session) == []


def test_delete_note(api, session, alice, bob):
    created = note(api, session, alice, visibility="public").json
    assert api.delete(f"/notes/{created['id']}", as_=bob).status == 403
    assert api.delete(f"/notes/{created['id']}", as_=alice).status == 204
    assert api.get(f"/notes/{created['id']}", as_=alice).status == 404


def test_note_replay_and_limits(api, session, alice):
    client_id = new_ulid()
    assert note(api, session, alice, "offline", id=client_id).status == 201
    assert note(api, session, alice, "offline", id=client_id).status == 200
    assert note(api, session, alice, "different", id=client_id).status == 409
    assert note(api, session, alice, "offline", id=client_id, visibility="public").status == 409
    assert note(api, session, alice, "x" * (64 * 1024)).status == 201
    assert note(api, session, alice, "é" * (33 * 1024)).status == 422  # 66 KiB of UTF-8
    assert note(api, session, alice, "").status == 422
    assert note(api, session, alice, "ok", visibility="everyone").status == 422
    assert api.post("/sessions/01HZZZZZZZZZZZZZZZZZZZZZZZ/notes", {"body": "x"}, as_=alice).status == 404


def test_summaries_drafts_and_versions(api, session, olga, alice):
    path = f"/sessions/{session['id']}/summary"
    assert api.request("PUT", path, json_body={"body": "x", "status": "published"}, as_=alice).status == 403
    assert api.get(path).status == 404

    draft = api.request("PUT", path, json_body={"body": "draft one", "status": "draft"}, as_=olga)
    assert draft.status == 200
    assert draft.json["status"] == "draft"
    assert api.get(path).status == 404  # nothing published yet
    assert api.get(path, query={"status": "draft"}, as_=olga).json["body"] == "draft one"
    assert api.get(path, query={"status": "draft"}, as_=alice).status == 403

    for i in (1, 2, 3):
        r = api.request("PUT", path, json_body={"body": f"published {i}", "status": "published"}, as_=olga)
        assert r.json["version"] == i
    assert api.get(path).json["body"] == "published 3"
    assert api.get(path, query={"status": "draft"}, as_=olga).status == 404  # publishing consumed the draft
    versions = api.get(f"{path}/versions", query={"limit": 2}).json
    assert [v["version"] for v in versions["items"]] == [3, 2]
    rest = api.get(f"{path}/versions", query={"limit": 2, "cursor": versions["nextCursor"]}).json
    assert [v["version"] for v in rest["items"]] == [1]
    assert rest["nextCursor"] is None
    assert api.get(path, query={"status": "final"}).status == 400


def test_an_id_of_someone_elses_private_note_reveals_nothing(api, session, alice, bob):
    private_id, public_id = new_ulid(), new_ulid()
    assert note(api, session, alice, "my secret", id=private_id).status == 201  # private by default
    assert note(api, session, alice, "for all", id=public_id, visibility="public").status == 201
    hidden = note(api, session, bob, "my secret", id=private_id)
    seen = note(api, session, bob, "for all", id=public_id, visibility="public")
    # bob cannot tell a hidden note from one he may read, nor either from a deleted one
    assert (hidden.status, seen.status) == (404, 404)
    assert hidden.body.replace(private_id.encode(), b"ID") == seen.body.replace(public_id.encode(), b"ID")
    assert hidden.json["errors"] == [
        {"field": "id", "message": f"no note {private_id} of yours: choose another id"}
    ]
    assert api.get(f"/notes/{private_id}", as_=alice).json["body"] == "my secret"  # untouched
    assert [n["id"] for n in api.get("/me/notes", as_=bob).json["items"]] == []  # nothing written
    replay = note(api, session, alice, "my secret", id=private_id)  # the owner's replay
    assert (replay.status, replay.json["id"], replay.json["version"]) == (200, private_id, 1)
