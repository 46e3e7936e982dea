"""The ``CaptureRepo`` contract, run against both implementations: the in-memory fake the unit tests use
(``tests/support/fakes.MemoryCapture``, over a ``MemoryStore``) and the DynamoDB repositories on the moto
stack. A case that passes for one and fails for the other is a fake that drifted (or a repository that
did)."""

from __future__ import annotations

import dataclasses

import pytest

from backchannel.capture.model import Note, Post, Summary
from backchannel.core.errors import BadRequest, Conflict, PreconditionFailed
from backchannel.core.ids import new_ulid
from tests.support.fakes import MemoryCapture, MemoryStore, a_session

SHARDS = 4


@pytest.fixture(params=["memory", "dynamodb"])
def repos(request):
    """(conference repo, capture repo): session hashtags are claimed through the first."""
    if request.param == "memory":
        store = MemoryStore()
        return store, MemoryCapture(store)
    request.getfixturevalue("data_table")
    from backchannel.capture.dynamo import DynamoCaptureRepo
    from backchannel.conference.dynamo import DynamoConferenceRepo

    return DynamoConferenceRepo(), DynamoCaptureRepo()


@pytest.fixture
def capture(repos):
    return repos[1]


def a_post(event_id: str = "E1", session_id: str | None = None, **fields) -> Post:
    values = dict(
        id=new_ulid(),
        event_id=event_id,
        author_id="alice",
        author_name="Alice",
        text="Hello #laww @bob https://example.org",
        created_at="2030-05-18T09:00:00.000Z",
        seq=new_ulid(),
        session_id=session_id,
        hashtags=["laww"],
        mentions=["bob"],
        links=["https://example.org"],
    )
    values.update(fields)
    return Post(**values)


def a_note(session_id: str = "S1", author_id: str = "alice", visibility: str = "private", **fields) -> Note:
    values = dict(
        id=new_ulid(),
        event_id="E1",
        session_id=session_id,
        author_id=author_id,
        author_name=author_id.title(),
        body="My notes",
        visibility=visibility,
        share_in_packs=True,
        version=1,
        created_at="2030-05-18T09:00:00.000Z",
        updated_at="2030-05-18T09:00:00.000Z",
    )
    values.update(fields)
    return Note(**values)


def a_summary(version: int, status: str = "published", session_id: str = "S1") -> Summary:
    return Summary(
        session_id=session_id,
        event_id="E1",
        version=version,
        status=status,
        body=f"Summary {version}",
        author_id="olga",
        updated_at="2030-05-18T10:00:00.000Z",
        published_at="2030-05-18T10:00:00.000Z" if status == "published" else None,
    )


def read_all(list_page, limit: int) -> list:
    """Every item of a paged list (a ``Page`` or an ``(items, cursor)`` pair), page by page."""
    found, cursor = [], None
    while True:
        page = list_page(limit, cursor)
        items, cursor = (page.items, page.next_cursor) if hasattr(page, "items") else page
        assert len(items) <= limit
        found += items
        if cursor is None:
            return found


def ids(records) -> list[str]:
    return [r.id for r in records]


# -- posts ---------------------------------------------------------------------------------------------


def test_a_post_reads_back_as_written_and_its_id_is_stored_once(capture):
    first = a_post(session_id="S1", in_reply_to=new_ulid())
    assert capture.put_post(first, SHARDS) is None
    assert capture.get_post(first.id.lower()) == first
    replay = dataclasses.replace(first, text="Other words", seq=new_ulid())
    assert capture.put_post(replay, SHARDS) == first  # the stored one, nothing written
    assert capture.get_post(first.id) == first
    capture.delete_post(first)
    assert capture.get_post(first.id) is None
    assert capture.get_post(new_ulid()) is None


def test_feeds_are_newest_first_across_shards_in_pages(capture):
    posts = [a_post("E1", session_id=("S1", "S2", None)[n % 3]) for n in range(11)]
    for post in posts:
        capture.put_post(post, SHARDS)
    capture.put_post(a_post("E2", session_id="S9"), SHARDS)
    newest_first = ids(reversed(posts))
    of_s1 = [p.id for p in reversed(posts) if p.session_id == "S1"]
    for limit in (1, 2, 5, 20):
        assert ids(read_all(lambda n, c: capture.event_posts("E1", SHARDS, n, c), limit)) == newest_first
        assert ids(read_all(lambda n, c: capture.session_posts("S1", SHARDS, n, c), limit)) == of_s1


def test_a_deleted_post_leaves_the_feeds(capture):
    kept, gone = a_post(session_id="S1"), a_post(session_id="S1")
    for post in (kept, gone):
        capture.put_post(post, SHARDS)
    capture.delete_post(gone)
    assert ids(capture.event_posts("E1", SHARDS, 10, None)[0]) == [kept.id]
    assert ids(capture.session_posts("S1", SHARDS, 10, None)[0]) == [kept.id]


def test_since_gives_the_oldest_newer_posts_newest_first(capture):
    posts = [a_post(session_id="S1" if n % 2 else None) for n in range(8)]
    for post in posts:
        capture.put_post(post, SHARDS)
    after = posts[2].seq
    assert ids(capture.event_posts_since("E1", SHARDS, 3, after)) == ids(reversed(posts[3:6]))
    assert ids(capture.event_posts_since("E1", SHARDS, 10, posts[-1].seq)) == []
    of_s1 = [p for p in posts[3:] if p.session_id == "S1"]
    assert ids(capture.session_posts_since("S1", SHARDS, 10, after)) == ids(reversed(of_s1))


def test_a_post_finds_its_session_by_a_hashtag_the_session_claims(repos):
    store, capture = repos
    store.create_session(a_session("S1", "E1", hashtag="Keynote"))
    store.create_session(a_session("S2", "E1", hashtag="panel"))
    store.create_session(a_session("S3", "E2", hashtag="other"))
    assert capture.session_for_hashtags("E1", ["nothing", "PANEL", "keynote"]) == "S2"
    assert capture.session_for_hashtags("E1", ["keynote"]) == "S1"
    assert capture.session_for_hashtags("E1", ["other", "none"]) is None
    assert capture.session_for_hashtags("E1", []) is None


# -- notes ---------------------------------------------------------------------------------------------


def test_a_note_reads_back_as_written_and_its_id_is_stored_once(capture):
    first = a_note(title="Keynote", share_in_packs=False)
    assert capture.put_note(first) is None
    assert capture.get_note(first.id.lower()) == first
    assert capture.put_note(dataclasses.replace(first, body="Other")) == first
    capture.delete_note(first)
    assert capture.get_note(first.id) is None


def test_a_note_is_replaced_only_from_its_stored_version(capture):
    first = a_note()
    capture.put_note(first)
    second = dataclasses.replace(first, body="Edited", version=2, updated_at="2030-05-18T10:00:00.000Z")
    capture.replace_note(first, second)
    assert capture.get_note(first.id) == second
    with pytest.raises(PreconditionFailed):
        capture.replace_note(first, dataclasses.replace(first, body="Lost", version=2))
    assert capture.get_note(first.id) == second
    capture.delete_note(second)
    with pytest.raises(PreconditionFailed):
        capture.replace_note(second, dataclasses.replace(second, version=3))
    assert capture.get_note(first.id) is None


def test_session_notes_are_read_from_the_partitions_asked_for_newest_first(capture):
    notes = [
        a_note(author_id="alice", visibility="private"),
        a_note(author_id="bob", visibility="private"),
        a_note(author_id="alice", visibility="attendees"),
        a_note(author_id="bob", visibility="public"),
        a_note(author_id="alice", visibility="public"),
        a_note(session_id="S2", visibility="public"),
    ]
    for note in notes:
        capture.put_note(note)
    alice, bob, attendees, public1, public2, _ = notes
    for limit in (1, 2, 10):

        def listed(partitions, limit=limit):
            return ids(read_all(lambda n, c: capture.session_notes("S1", partitions, n, c), limit))

        assert listed(["public"]) == [public2.id, public1.id]
        assert listed(["public", "attendees", "private#alice"]) == [
            public2.id,
            public1.id,
            attendees.id,
            alice.id,
        ]
        assert listed(["public", "private#bob"]) == [public2.id, public1.id, bob.id]


def test_a_replaced_note_moves_to_the_list_of_its_new_visibility(capture):
    note = a_note(visibility="public")
    capture.put_note(note)
    private = dataclasses.replace(note, visibility="private", version=2)
    capture.replace_note(note, private)
    assert capture.session_notes("S1", ["public"], 10, None).items == []
    assert capture.session_notes("S1", ["private#alice"], 10, None).items == [private]


def test_a_members_notes_are_theirs_newest_first_across_sessions(capture):
    mine = [a_note(session_id=f"S{n % 3}", visibility=("private", "public")[n % 2]) for n in range(5)]
    for note in [*mine, a_note(author_id="bob")]:
        capture.put_note(note)
    for limit in (1, 2, 10):
        found = read_all(lambda n, c: capture.member_notes("alice", n, c), limit)
        assert ids(found) == ids(reversed(mine))


# -- summaries -----------------------------------------------------------------------------------------


def test_a_draft_is_not_a_version_and_publishing_uses_it_up(capture):
    assert capture.latest_summary("S1") is None
    assert capture.summary_draft("S1") is None
    draft = a_summary(1, "draft")
    capture.save_summary_draft(draft)
    assert capture.summary_draft("S1") == draft
    assert capture.latest_summary("S1") is None
    capture.save_summary_draft(dataclasses.replace(draft, body="Better"))
    assert capture.summary_draft("S1").body == "Better"
    published = a_summary(1)
    capture.publish_summary(published)
    assert capture.latest_summary("S1") == published
    assert capture.summary_draft("S1") is None
    assert capture.latest_summary("S2") is None


def test_published_versions_are_listed_newest_first(capture):
    for version in range(1, 6):
        capture.publish_summary(a_summary(version))
    capture.save_summary_draft(a_summary(6, "draft"))
    capture.publish_summary(a_summary(1, session_id="S2"))
    assert capture.latest_summary("S1") == a_summary(5)
    for limit in (1, 2, 10):
        found = read_all(lambda n, c: capture.summary_versions("S1", n, c), limit)
        assert [s.version for s in found] == [5, 4, 3, 2, 1]


def test_a_version_is_published_once(capture):
    capture.publish_summary(a_summary(1))
    with pytest.raises(Conflict):
        capture.publish_summary(dataclasses.replace(a_summary(1), body="At the same moment"))
    assert capture.latest_summary("S1") == a_summary(1)


# -- cursors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ"])
def test_a_cursor_that_is_not_one_of_the_list_is_a_bad_request(capture, cursor):
    capture.put_post(a_post(session_id="S1"), SHARDS)
    capture.put_note(a_note(visibility="public"))
    capture.publish_summary(a_summary(1))
    lists = [
        lambda: capture.event_posts("E1", SHARDS, 1, cursor),
        lambda: capture.session_posts("S1", SHARDS, 1, cursor),
        lambda: capture.session_notes("S1", ["public"], 1, cursor),
        lambda: capture.member_notes("alice", 1, cursor),
        lambda: capture.summary_versions("S1", 1, cursor),
    ]
    for read in lists:
        with pytest.raises(BadRequest):
            read()
