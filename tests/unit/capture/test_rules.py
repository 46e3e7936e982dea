"""Capture rules with the in-memory repositories (no AWS): who may write posts, notes and summaries
where and until when, who reads a note, replays of client ids, If-Match on notes and summary versions.
Every assertion is on what the rules return or refuse and on what the repositories then hold."""

from __future__ import annotations

import datetime as dt

import pytest

from backchannel.capture import rules
from backchannel.conference.model import ATTENDEE, ORGANISER, Membership
from backchannel.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from backchannel.core.ids import new_ulid
from backchannel.core.model import Caller
from tests.support.fakes import MemoryCapture, MemoryStore, a_session, an_event

NOW = dt.datetime(2030, 5, 18, 9, 30, tzinfo=dt.UTC)
WINDOW = 7  # days after the event during which writing stays open
OLGA = Caller("olga", "olga", frozenset({"organisers"}))
ALICE = Caller("alice", "alice")
BOB = Caller("bob", "bob")


@pytest.fixture
def store() -> MemoryStore:
    """A public event E in London (sessions S, tagged #keynote, and T) and a private event P (session
    PS); olga organises both."""
    s = MemoryStore()
    s.create_event(an_event("E", timezone="Europe/London"), Membership("E", "olga", {ORGANISER}, "t"))
    s.create_event(an_event("P", visibility="private"), Membership("P", "olga", {ORGANISER}, "t"))
    s.create_session(a_session("S", "E", hashtag="keynote"))
    s.create_session(a_session("T", "E"))
    s.create_session(a_session("PS", "P"))
    return s


@pytest.fixture
def capture(store) -> MemoryCapture:
    return MemoryCapture(store)


def never_read():
    raise AssertionError("the input was read before the caller was authorised")


def post(store, capture, who, text="Hello", event_id="E", now=NOW, **extra):
    data = never_read if text is never_read else {"text": text, **extra}
    return rules.create_post(store, capture, who, event_id, data, window_days=WINDOW, now=now)


def note(store, capture, who, body="My notes", session_id="S", now=NOW, **extra):
    data = never_read if body is never_read else {"body": body, **extra}
    return rules.create_note(store, capture, who, session_id, data, window_days=WINDOW, now=now)


def replace(store, capture, who, note_id, if_match, body="Edited", visibility="private", **extra):
    data = never_read if body is never_read else {"body": body, "visibility": visibility, **extra}
    return rules.replace_note(store, capture, who, note_id, if_match, data, now=NOW)


def summary(store, capture, who, body="The summary", status="published", session_id="S"):
    data = never_read if body is never_read else {"body": body, "status": status}
    return rules.put_summary(store, capture, who, session_id, data, now=NOW)


def fields(err: pytest.ExceptionInfo) -> set[str]:
    return {e.field for e in err.value.errors}


# -- posts ---------------------------------------------------------------------------------------------


def test_a_post_keeps_what_the_server_extracted_and_its_authors_name(store, capture):
    made, created = post(store, capture, ALICE, "Slides https://example.org/s #LAWW thanks @bob")
    assert created
    assert (made.hashtags, made.mentions, made.links) == (["LAWW"], ["bob"], ["https://example.org/s"])
    assert (made.author_id, made.author_name, made.event_id) == ("alice", "alice", "E")
    assert made.session_id is None
    assert capture.get_post(made.id) == made
    assert store.get_member("alice").display_name == "alice"  # the profile is made on first use


def test_a_session_hashtag_files_the_post_under_its_session(store, capture):
    tagged, _ = post(store, capture, ALICE, "Great talk #KeyNote")
    assert tagged.session_id == "S"
    chosen, _ = post(store, capture, ALICE, "In the other room #keynote", sessionId="T")
    assert chosen.session_id == "T"  # a session named by the client wins over a hashtag
    untagged, _ = post(store, capture, ALICE, "No session #elsewhere")
    assert untagged.session_id is None
    posts, _ = rules.session_posts(store, capture, None, "S", 10, None, None)
    assert [p.id for p in posts] == [tagged.id]


def test_a_session_or_reply_of_another_event_is_refused_naming_both_fields(store, capture):
    elsewhere, _ = post(store, capture, OLGA, "In the private event", event_id="P")
    with pytest.raises(ValidationFailed) as err:
        post(store, capture, ALICE, "Hi", sessionId="PS", inReplyTo=elsewhere.id)
    assert fields(err) == {"sessionId", "inReplyTo"}
    with pytest.raises(ValidationFailed) as err:
        post(store, capture, ALICE, "Hi", sessionId="NOPE", inReplyTo=new_ulid())
    assert fields(err) == {"sessionId", "inReplyTo"}
    assert [p.id for p in capture.posts.values()] == [elsewhere.id]


def test_a_reply_to_a_post_of_the_event_is_kept(store, capture):
    parent, _ = post(store, capture, BOB, "A question")
    reply, _ = post(store, capture, ALICE, "An answer", inReplyTo=parent.id)
    assert capture.get_post(reply.id).in_reply_to == parent.id


@pytest.mark.parametrize("text", ["", "   ", "x" * 501, "bad\x00byte"])
def test_bad_text_is_refused(store, capture, text):
    with pytest.raises(ValidationFailed) as err:
        post(store, capture, ALICE, text)
    assert fields(err) == {"text"}
    assert capture.posts == {}


def test_text_is_trimmed_and_counted_in_characters(store, capture):
    assert post(store, capture, ALICE, "  spaced  ")[0].text == "spaced"
    assert len(post(store, capture, ALICE, "é" * 500)[0].text) == 500


def test_a_replayed_post_is_stored_once_and_a_reused_id_with_other_words_is_a_conflict(store, capture):
    client_id = new_ulid().lower()
    first, created = post(store, capture, ALICE, "Offline #keynote", id=client_id)
    assert created and first.id == client_id.upper()
    later = NOW + dt.timedelta(minutes=5)
    again, created = post(store, capture, ALICE, "Offline #keynote", id=client_id.upper(), now=later)
    assert not created
    assert again == first  # the stored post, with its first time and place in the feed
    assert len(capture.posts) == 1
    with pytest.raises(Conflict) as err:
        post(store, capture, ALICE, "Other words", id=client_id)
    assert err.value.extra == {"field": "id"}
    with pytest.raises(NotFound) as err:  # someone else's id: a 404 that says nothing about the post
        post(store, capture, BOB, "Offline #keynote", id=client_id)
    assert err.value.extra == {"field": "id"}
    assert capture.get_post(client_id) == first


def test_writing_closes_days_after_the_last_day_in_the_events_time_zone(store, capture):
    # E ends on 19 May in London (BST): its last day ends at 23:00 UTC, and writing closes WINDOW days on
    closes = dt.datetime(2030, 5, 19, 23, tzinfo=dt.UTC) + dt.timedelta(days=WINDOW)
    just_before = closes - dt.timedelta(seconds=1)
    assert post(store, capture, ALICE, "Still open", now=just_before)[1]
    assert note(store, capture, ALICE, "Still open", now=just_before)[1]
    with pytest.raises(Conflict):
        post(store, capture, ALICE, "Too late", now=closes)
    with pytest.raises(Conflict):
        note(store, capture, ALICE, "Too late", now=closes)
    assert len(capture.posts) == len(capture.notes) == 1


def test_private_events_take_posts_from_their_people_only_and_never_read_an_outsiders_input(store, capture):
    for who in (ALICE, BOB):
        with pytest.raises(NotFound):
            post(store, capture, who, never_read, event_id="P")
    store.add_role("P", "alice", ATTENDEE, "t")
    made, _ = post(store, capture, ALICE, "Inside", event_id="P")
    assert capture.get_post(made.id).event_id == "P"
    with pytest.raises(NotFound):
        rules.visible_post(store, capture, made.id, BOB)
    assert rules.visible_post(store, capture, made.id, ALICE) == made


def test_a_post_is_deleted_by_its_author_or_an_organiser_only(store, capture):
    mine, _ = post(store, capture, ALICE, "Mine")
    moderated, _ = post(store, capture, ALICE, "Rude")
    with pytest.raises(Forbidden):
        rules.delete_post(store, capture, BOB, mine.id)
    rules.delete_post(store, capture, OLGA, moderated.id)
    rules.delete_post(store, capture, ALICE, mine.id)
    assert capture.posts == {}
    with pytest.raises(NotFound):
        rules.delete_post(store, capture, ALICE, mine.id)


def test_an_author_deletes_a_post_of_an_event_they_can_no_longer_see(store, capture):
    store.add_role("P", "alice", ATTENDEE, "t")
    made, _ = post(store, capture, ALICE, "Inside", event_id="P")
    store.remove_role("P", "alice", ATTENDEE)
    with pytest.raises(NotFound):
        rules.delete_post(store, capture, BOB, made.id)  # an outsider learns nothing
    rules.delete_post(store, capture, ALICE, made.id)
    assert capture.get_post(made.id) is None


def test_feeds_are_newest_first_in_pages_and_since_gives_only_newer_posts(store, capture):
    made = [post(store, capture, ALICE, f"Post {n}")[0] for n in range(5)]
    newest_first = [p.id for p in reversed(made)]
    shown, cursor = [], None
    while True:
        page, cursor = rules.event_posts(store, capture, None, "E", 2, cursor, None)
        assert len(page) <= 2
        shown += [p.id for p in page]
        if cursor is None:
            break
    assert shown == newest_first
    newer, cursor = rules.event_posts(store, capture, None, "E", 10, None, made[2].seq)
    assert ([p.id for p in newer], cursor) == (newest_first[:2], None)
    with pytest.raises(NotFound):
        rules.event_posts(store, capture, BOB, "P", 10, None, None)
    with pytest.raises(NotFound):
        rules.session_posts(store, capture, None, "PS", 10, None, None)


# -- notes ---------------------------------------------------------------------------------------------


def test_a_note_is_private_by_default_and_only_its_author_reads_it(store, capture):
    made, created = note(store, capture, ALICE, "  My notes  ", title="Keynote")
    assert created
    assert (made.visibility, made.version, made.title, made.body) == ("private", 1, "Keynote", "My notes")
    assert made.etag == f'"{made.id}.1"'
    assert rules.visible_note(store, capture, made.id, ALICE) == made
    for reader in (None, BOB, OLGA):  # not even the organiser
        with pytest.raises(NotFound):
            rules.visible_note(store, capture, made.id, reader)


@pytest.mark.parametrize(
    ("visibility", "readers"),
    [
        ("public", {"anyone", "alice", "bob", "olga"}),
        ("attendees", {"alice", "olga"}),
        ("private", {"alice"}),
    ],
)
def test_who_reads_a_note_follows_its_visibility(store, capture, visibility, readers):
    store.add_role("E", "alice", ATTENDEE, "t")
    made, _ = note(store, capture, ALICE, visibility=visibility)
    callers = {"anyone": None, "alice": ALICE, "bob": BOB, "olga": OLGA}
    can_read = set()
    for name, caller in callers.items():
        try:
            rules.visible_note(store, capture, made.id, caller)
        except NotFound:
            continue
        can_read.add(name)
    assert can_read == readers


def test_sharing_with_attendees_needs_a_membership_of_the_event(store, capture):
    with pytest.raises(ValidationFailed) as err:
        note(store, capture, ALICE, visibility="attendees")
    assert fields(err) == {"visibility"}
    assert capture.notes == {}
    store.add_role("E", "alice", ATTENDEE, "t")
    assert note(store, capture, ALICE, visibility="attendees")[0].visibility == "attendees"


def test_session_notes_list_what_each_reader_may_read_newest_first(store, capture):
    store.add_role("E", "alice", ATTENDEE, "t")
    private, _ = note(store, capture, ALICE, "private")
    attendees, _ = note(store, capture, ALICE, "attendees", visibility="attendees")
    public, _ = note(store, capture, ALICE, "public", visibility="public")
    bobs, _ = note(store, capture, BOB, "bob's own")
    note(store, capture, ALICE, "another session", session_id="T", visibility="public")

    def listed(caller, limit=10):
        shown, cursor = [], None
        while True:
            page = rules.session_notes(store, capture, caller, "S", limit, cursor)
            shown += [n.body for n in page.items]
            if page.next_cursor is None:
                return shown
            cursor = page.next_cursor

    assert listed(None) == ["public"]
    assert listed(OLGA) == ["public", "attendees"]
    assert listed(BOB) == ["bob's own", "public"]
    assert listed(ALICE) == ["public", "attendees", "private"]
    assert listed(ALICE, limit=1) == ["public", "attendees", "private"]
    with pytest.raises(NotFound):
        rules.session_notes(store, capture, BOB, "PS", 10, None)
    assert {private.id, attendees.id, public.id, bobs.id} <= set(capture.notes)


def test_a_note_is_replaced_only_with_its_current_etag(store, capture):
    made, _ = note(store, capture, ALICE, "v1")
    with pytest.raises(PreconditionRequired):
        replace(store, capture, ALICE, made.id, None)
    with pytest.raises(PreconditionFailed):
        replace(store, capture, ALICE, made.id, f'"{made.id}.7"')
    second = replace(store, capture, ALICE, made.id, made.etag, "v2", title="New")
    assert (second.version, second.body, second.title, second.etag) == (2, "v2", "New", f'"{made.id}.2"')
    assert second.created_at == made.created_at
    with pytest.raises(PreconditionFailed):  # the first ETag is stale now: nobody's edit is lost
        replace(store, capture, ALICE, made.id, made.etag, "lost")
    with pytest.raises(PreconditionRequired):  # "any version" would skip the check
        replace(store, capture, ALICE, made.id, "*", "lost")
    third = replace(store, capture, ALICE, made.id, second.etag, "v3")
    assert capture.get_note(made.id) == third
    assert third.version == 3


def test_only_its_author_changes_or_deletes_a_note_and_others_input_is_never_read(store, capture):
    public, _ = note(store, capture, ALICE, visibility="public")
    private, _ = note(store, capture, ALICE, "secret")
    with pytest.raises(Forbidden):  # bob may read it, so he is told why
        replace(store, capture, BOB, public.id, public.etag, never_read)
    with pytest.raises(Forbidden):
        rules.delete_note(store, capture, BOB, public.id)
    with pytest.raises(NotFound):  # he may not read this one: it does not exist for him
        replace(store, capture, BOB, private.id, private.etag, never_read)
    with pytest.raises(NotFound):
        rules.delete_note(store, capture, OLGA, private.id)
    rules.delete_note(store, capture, ALICE, private.id)
    assert set(capture.notes) == {public.id}
    with pytest.raises(NotFound):
        rules.visible_note(store, capture, private.id, ALICE)


def test_a_note_made_attendees_only_needs_a_membership_and_a_private_one_hides_at_once(store, capture):
    made, _ = note(store, capture, ALICE, visibility="public")
    with pytest.raises(ValidationFailed) as err:
        replace(store, capture, ALICE, made.id, made.etag, visibility="attendees")
    assert fields(err) == {"visibility"}
    hidden = replace(store, capture, ALICE, made.id, made.etag, visibility="private")
    assert hidden.visibility == "private"
    with pytest.raises(NotFound):
        rules.visible_note(store, capture, made.id, BOB)


def test_a_replayed_note_is_stored_once_but_not_after_it_was_edited(store, capture):
    client_id = new_ulid()
    first, created = note(store, capture, ALICE, "Offline", id=client_id.lower())
    assert created and first.id == client_id
    again, created = note(store, capture, ALICE, "Offline", id=client_id)
    assert (again, created) == (first, False)
    with pytest.raises(Conflict) as err:
        note(store, capture, ALICE, "Other words", id=client_id)
    assert err.value.extra == {"field": "id"}
    replace(store, capture, ALICE, client_id, first.etag, "Offline")
    with pytest.raises(Conflict):  # the edit is newer than the replay
        note(store, capture, ALICE, "Offline", id=client_id)
    assert capture.get_note(client_id).version == 2


def test_note_bodies_are_bounded_in_bytes_and_titles_in_characters(store, capture):
    assert note(store, capture, ALICE, "x" * rules.NOTE_MAX_BYTES)[1]
    for body in ("x" * (rules.NOTE_MAX_BYTES + 1), "é" * (rules.NOTE_MAX_BYTES // 2 + 1), " "):
        with pytest.raises(ValidationFailed) as err:
            note(store, capture, ALICE, body)
        assert fields(err) == {"body"}
    with pytest.raises(ValidationFailed) as err:
        note(store, capture, ALICE, "ok", title="t" * 201)
    assert fields(err) == {"title"}
    assert len(capture.notes) == 1


def test_notes_of_a_private_event_are_written_by_its_people_only(store, capture):
    with pytest.raises(NotFound):
        note(store, capture, ALICE, never_read, session_id="PS")
    store.add_role("P", "alice", ATTENDEE, "t")
    shared, _ = note(store, capture, ALICE, "for the room", session_id="PS", visibility="public")
    with pytest.raises(NotFound):  # public within an event the reader may not see
        rules.visible_note(store, capture, shared.id, None)
    assert rules.visible_note(store, capture, shared.id, OLGA) == shared


# -- summaries -----------------------------------------------------------------------------------------


def test_only_organisers_write_summaries_and_nobody_elses_input_is_read(store, capture):
    store.add_role("E", "alice", ATTENDEE, "t")
    for who in (ALICE, BOB):
        with pytest.raises(Forbidden):
            summary(store, capture, who, never_read)
    with pytest.raises(NotFound):
        summary(store, capture, BOB, never_read, session_id="PS")
    assert capture.drafts == capture.versions == {}


def test_a_draft_is_for_organisers_and_every_publication_is_a_new_version(store, capture):
    store.add_role("E", "alice", ATTENDEE, "t")
    draft = summary(store, capture, OLGA, "Draft", status="draft")
    assert (draft.version, draft.status, draft.published_at) == (1, "draft", None)
    with pytest.raises(NotFound):
        rules.get_summary(store, capture, None, "S")  # nothing is published yet
    assert rules.get_summary(store, capture, OLGA, "S", draft=True) == draft
    for reader in (None, ALICE):
        with pytest.raises(Forbidden):
            rules.get_summary(store, capture, reader, "S", draft=True)

    first = summary(store, capture, OLGA, "First")
    assert (first.version, first.status, first.published_at) == (1, "published", first.updated_at)
    with pytest.raises(NotFound):  # publishing used the draft up
        rules.get_summary(store, capture, OLGA, "S", draft=True)
    second = summary(store, capture, OLGA, "Second")
    next_draft = summary(store, capture, OLGA, "Third, not yet", status="draft")
    assert (second.version, next_draft.version) == (2, 3)
    assert rules.get_summary(store, capture, None, "S") == second

    versions, cursor = [], None
    while True:
        page = rules.summary_versions(store, capture, None, "S", 1, cursor)
        versions += [(s.version, s.body) for s in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert versions == [(2, "Second"), (1, "First")]


def test_a_private_events_summary_is_not_found_for_outsiders(store, capture):
    published = summary(store, capture, OLGA, "Inside", session_id="PS")
    for reader in (None, BOB):
        with pytest.raises(NotFound):
            rules.get_summary(store, capture, reader, "PS")
        with pytest.raises(NotFound):
            rules.summary_versions(store, capture, reader, "PS", 10, None)
    assert rules.get_summary(store, capture, OLGA, "PS") == published
