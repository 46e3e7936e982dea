"""The ``ConferenceRepo`` contract, run against both implementations: the in-memory fake the unit tests
use (``tests/support/fakes.MemoryStore``) and the DynamoDB repository on the moto stack. A case that
passes for one and fails for the other is a fake that drifted (or a repository that did)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from backchannel.conference.model import ATTENDEE, ORGANISER, Link, Member, Membership
from backchannel.core.errors import BadRequest, Conflict
from tests.support.fakes import MemoryStore, a_session, an_event


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request):
    if request.param == "memory":
        return MemoryStore()
    request.getfixturevalue("data_table")
    from backchannel.conference.dynamo import DynamoConferenceRepo

    return DynamoConferenceRepo()


def organiser(event_id: str, member_id: str = "olga") -> Membership:
    return Membership(event_id, member_id, {ORGANISER}, "2030-01-01T00:00:00.000Z")


def member(member_id: str, **fields) -> Member:
    values = dict(
        id=member_id,
        display_name=member_id.title(),
        created_at="2030-01-01T00:00:00.000Z",
        updated_at="2030-01-01T00:00:00.000Z",
    )
    values.update(fields)
    return Member(**values)


def changed(record, **fields):
    """``record`` as its rule would write it back: the fields changed and its version one up."""
    return dataclasses.replace(record, version=record.version + 1, **fields)


def read_all(list_page, limit: int) -> list:
    """Every item of a paged list, page by page of ``limit``."""
    found, cursor = [], None
    while True:
        page = list_page(limit, cursor)
        assert len(page.items) <= limit
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


# -- events --------------------------------------------------------------------------------------------


def test_an_event_reads_back_as_it_was_written_with_its_organiser(repo):
    event = an_event("E1", description="About learning", code_of_conduct_url="https://example.org/coc")
    repo.create_event(event, organiser("E1"))
    assert repo.get_event("E1") == event
    assert repo.get_membership("E1", "olga") == organiser("E1")
    assert repo.get_event("NOPE") is None
    assert repo.get_events(["E1", "NOPE", "E1"]) == {"E1": event}


def test_event_hashtags_are_unique_whatever_their_case(repo):
    repo.create_event(an_event("E1", hashtag="LAWW"), organiser("E1"))
    with pytest.raises(Conflict) as err:
        repo.create_event(an_event("E2", hashtag="laww"), organiser("E2"))
    assert err.value.extra == {"field": "hashtag"}
    assert repo.get_event("E2") is None
    assert repo.get_membership("E2", "olga") is None


def test_an_event_changes_only_from_its_current_version(repo):
    first = an_event("E1")
    repo.create_event(first, organiser("E1"))
    second = changed(first, name="Renamed")
    repo.update_event(first, second)
    assert repo.get_event("E1") == second
    with pytest.raises(Conflict):
        repo.update_event(first, changed(first, name="Lost update"))
    assert repo.get_event("E1") == second


def test_a_changed_hashtag_is_claimed_and_the_old_one_freed(repo):
    first = an_event("E1", hashtag="old")
    repo.create_event(first, organiser("E1"))
    second = changed(first, hashtag="new")
    repo.update_event(first, second)
    assert repo.get_event("E1") == second
    repo.create_event(an_event("E2", hashtag="OLD"), organiser("E2"))  # free again
    with pytest.raises(Conflict):
        repo.create_event(an_event("E3", hashtag="New"), organiser("E3"))


def test_an_event_cannot_take_a_hashtag_in_use(repo):
    first = an_event("E1", hashtag="mine")
    repo.create_event(first, organiser("E1"))
    repo.create_event(an_event("E2", hashtag="taken"), organiser("E2"))
    with pytest.raises(Conflict) as err:
        repo.update_event(first, changed(first, hashtag="TAKEN"))
    assert err.value.extra == {"field": "hashtag"}
    assert repo.get_event("E1") == first


def test_public_events_are_listed_by_their_last_day_from_a_date_on(repo):
    days = {"A": 12, "B": 10, "C": 11, "D": 9, "E": 10}
    for event_id, day in days.items():
        repo.create_event(an_event(event_id, ends_on=dt.date(2030, 5, day)), organiser(event_id))
    for event_id, visibility in (("U", "unlisted"), ("P", "private")):
        repo.create_event(an_event(event_id, visibility=visibility), organiser(event_id))

    def listed(limit, cursor):
        return repo.list_public_events(dt.date(2030, 5, 10), limit, cursor)

    expected = ["B", "E", "C", "A"]  # by last day, then id; D ended before the 10th
    for limit in (1, 2, 3, 10):
        assert [e.id for e in read_all(listed, limit)] == expected


def test_an_event_made_private_leaves_the_public_list(repo):
    first = an_event("E1")
    repo.create_event(first, organiser("E1"))
    repo.update_event(first, changed(first, visibility="private"))
    assert repo.list_public_events(dt.date(2030, 1, 1), 10, None).items == []


# -- memberships ---------------------------------------------------------------------------------------


def test_roles_gather_in_one_membership_that_goes_with_its_last_role(repo):
    repo.create_event(an_event("E1"), organiser("E1"))
    joined = repo.add_role("E1", "alice", ATTENDEE, "2030-05-01T00:00:00.000Z")
    assert joined == Membership("E1", "alice", {ATTENDEE}, "2030-05-01T00:00:00.000Z")
    both = repo.add_role("E1", "alice", ORGANISER, "2030-05-02T00:00:00.000Z")
    assert both == Membership("E1", "alice", {ATTENDEE, ORGANISER}, "2030-05-01T00:00:00.000Z")
    assert repo.add_role("E1", "alice", ATTENDEE, "2030-05-03T00:00:00.000Z") == both  # no change
    assert repo.remove_role("E1", "alice", ATTENDEE) == Membership(
        "E1", "alice", {ORGANISER}, "2030-05-01T00:00:00.000Z"
    )
    assert repo.remove_role("E1", "alice", ORGANISER) is None
    assert repo.get_membership("E1", "alice") is None
    assert repo.remove_role("E1", "alice", ATTENDEE) is None  # nothing to leave


def test_a_members_events_are_listed_by_event(repo):
    for event_id in ("E3", "E1", "E2", "E4"):
        repo.create_event(an_event(event_id), organiser(event_id))
        if event_id != "E4":
            repo.add_role(event_id, "alice", ATTENDEE, "t")

    def listed(limit, cursor):
        return repo.list_memberships("alice", limit, cursor)

    for limit in (1, 2, 10):
        assert [m.event_id for m in read_all(listed, limit)] == ["E1", "E2", "E3"]


# -- sessions ------------------------------------------------------------------------------------------


def test_a_session_reads_back_as_it_was_written(repo):
    from backchannel.conference.model import Speaker

    session = a_session(
        "S1",
        "E1",
        abstract="Why",
        speakers=[Speaker("Jane", "https://example.org/jane"), Speaker("Joe")],
        room="Hall",
        track="Plenary",
        hashtag="Keynote",
        starts_at=dt.datetime(2030, 5, 18, 10, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    )
    repo.create_session(session)
    assert repo.get_session("S1") == session
    assert repo.get_session("NOPE") is None


def test_session_hashtags_are_unique_within_their_event_only(repo):
    repo.create_session(a_session("S1", "E1", hashtag="keynote"))
    with pytest.raises(Conflict) as err:
        repo.create_session(a_session("S2", "E1", hashtag="KEYNOTE"))
    assert err.value.extra == {"field": "hashtag"}
    assert repo.get_session("S2") is None
    repo.create_session(a_session("S3", "E2", hashtag="keynote"))
    repo.create_session(a_session("S4", "E1"))  # no hashtag claims nothing
    repo.create_session(a_session("S5", "E1"))


def test_a_session_changes_only_from_its_current_version_and_moves_its_hashtag(repo):
    first = a_session("S1", "E1", hashtag="one")
    repo.create_session(first)
    second = changed(first, hashtag="two", title="Renamed")
    repo.update_session(first, second)
    assert repo.get_session("S1") == second
    with pytest.raises(Conflict):
        repo.update_session(first, changed(first, title="Lost update"))
    assert repo.get_session("S1") == second
    repo.create_session(a_session("S2", "E1", hashtag="ONE"))  # the old hashtag is free
    third = changed(second, hashtag=None)
    repo.update_session(second, third)
    assert repo.get_session("S1") == third
    repo.create_session(a_session("S3", "E1", hashtag="two"))  # and so is the dropped one


@pytest.mark.parametrize("had", [None, "mine"])
def test_a_session_cannot_take_a_hashtag_in_use_in_its_event(repo, had):
    first = a_session("S1", "E1", hashtag=had)
    repo.create_session(first)
    repo.create_session(a_session("S2", "E1", hashtag="taken"))
    with pytest.raises(Conflict) as err:
        repo.update_session(first, changed(first, hashtag="Taken"))
    assert err.value.extra == {"field": "hashtag"}
    assert repo.get_session("S1") == first


def test_a_deleted_session_frees_its_hashtag(repo):
    session = a_session("S1", "E1", hashtag="keynote")
    repo.create_session(session)
    repo.delete_session(session)
    assert repo.get_session("S1") is None
    assert repo.list_sessions("E1", 10, None).items == []
    repo.create_session(a_session("S2", "E1", hashtag="keynote"))


def test_sessions_are_listed_by_their_start_in_utc_whatever_the_offset(repo):
    london = dt.timezone(dt.timedelta(hours=1))
    starts = {
        "S1": dt.datetime(2030, 5, 18, 9, 30, tzinfo=dt.UTC),
        "S2": dt.datetime(2030, 5, 18, 10, 0, tzinfo=london),  # 09:00 UTC: first
        "S3": dt.datetime(2030, 5, 18, 11, 0, tzinfo=dt.UTC),
        "S0": dt.datetime(2030, 5, 18, 11, 0, tzinfo=dt.UTC),  # same start: by id
    }
    for session_id, start in starts.items():
        repo.create_session(a_session(session_id, "E1", starts_at=start))
    repo.create_session(a_session("X1", "E2"))

    def listed(limit, cursor):
        return repo.list_sessions("E1", limit, cursor)

    for limit in (1, 3, 10):
        assert [s.id for s in read_all(listed, limit)] == ["S2", "S1", "S0", "S3"]


# -- stars ---------------------------------------------------------------------------------------------


def test_stars_are_kept_per_member_and_event(repo):
    s1, s2, other = a_session("S1", "E1"), a_session("S2", "E1"), a_session("S9", "E2")
    repo.star_session("alice", s1, "t")
    repo.star_session("alice", s1, "t")
    repo.star_session("alice", s2, "t")
    repo.star_session("alice", other, "t")
    repo.star_session("bob", s2, "t")
    assert repo.starred_sessions("alice", "E1") == {"S1", "S2"}
    repo.unstar_session("alice", s2)
    repo.unstar_session("alice", s2)
    assert repo.starred_sessions("alice", "E1") == {"S1"}
    assert repo.starred_sessions("bob", "E1") == {"S2"}
    assert repo.starred_sessions("carol", "E1") == set()


# -- members -------------------------------------------------------------------------------------------


def test_a_member_is_created_once_and_the_stored_one_returned(repo):
    first = member("alice", links=[Link("Blog", "https://example.org")], bio="Hi")
    assert repo.create_member_if_absent(first) == first
    assert repo.create_member_if_absent(member("alice", display_name="Other")) == first
    assert repo.get_member("alice") == first
    assert repo.get_member("nobody") is None


def test_handles_are_unique_whatever_their_case_and_freed_when_changed(repo):
    alice, bob = member("alice"), member("bob")
    repo.create_member_if_absent(alice)
    repo.create_member_if_absent(bob)
    named = dataclasses.replace(alice, handle="Alice", updated_at="2030-01-02T00:00:00.000Z")
    repo.update_member(alice, named)
    assert repo.get_member("alice") == named
    with pytest.raises(Conflict) as err:
        repo.update_member(bob, dataclasses.replace(bob, handle="ALICE", updated_at="2030-01-02"))
    assert err.value.extra == {"field": "handle"}
    assert repo.get_member("bob") == bob
    renamed = dataclasses.replace(named, handle="ally", updated_at="2030-01-03T00:00:00.000Z")
    repo.update_member(named, renamed)
    repo.update_member(bob, dataclasses.replace(bob, handle="alice", updated_at="2030-01-02"))
    assert repo.get_member("bob").handle == "alice"


def test_a_member_with_a_handle_cannot_take_one_in_use(repo):
    alice, bob = member("alice", handle="alice"), member("bob", handle="bob")
    for each in (alice, bob):
        repo.create_member_if_absent(member(each.id))
        repo.update_member(repo.get_member(each.id), each)
    with pytest.raises(Conflict) as err:
        repo.update_member(bob, dataclasses.replace(bob, handle="Alice", updated_at="2030-01-02"))
    assert err.value.extra == {"field": "handle"}
    assert repo.get_member("bob") == bob


def test_a_profile_changes_only_from_what_was_read(repo):
    alice = member("alice")
    repo.create_member_if_absent(alice)
    first = dataclasses.replace(alice, bio="first", updated_at="2030-01-02T00:00:00.000Z")
    repo.update_member(alice, first)
    with pytest.raises(Conflict):
        repo.update_member(alice, dataclasses.replace(alice, bio="lost", updated_at="2030-01-03"))
    assert repo.get_member("alice") == first


# -- cursors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ"])
def test_a_cursor_that_is_not_one_of_the_list_is_a_bad_request(repo, cursor):
    repo.create_event(an_event("E1"), organiser("E1"))
    repo.create_session(a_session("S1", "E1"))
    with pytest.raises(BadRequest):
        repo.list_public_events(dt.date(2030, 1, 1), 1, cursor)
    with pytest.raises(BadRequest):
        repo.list_sessions("E1", 1, cursor)
    with pytest.raises(BadRequest):
        repo.list_memberships("olga", 1, cursor)
