"""Conference rules with the in-memory store (no AWS): who creates and changes events, dates and
time zones of sessions, listing, joining and members."""

from __future__ import annotations

import datetime as dt

import pytest

from backchannel.conference import members
from backchannel.conference import rules as events
from backchannel.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backchannel.core.model import Caller
from tests.support.fakes import MemoryStore

OLGA = Caller("olga-id", "olga", frozenset({"organisers"}))
OSCAR = Caller("oscar-id", "oscar", frozenset({"organisers"}))
ALICE = Caller("alice-id", "alice")
UTC = dt.UTC


def event_data(**kw):
    data = {
        "name": "LAWW",
        "hashtag": "LAWW",
        "startsOn": dt.date(2030, 5, 18),
        "endsOn": dt.date(2030, 5, 20),
        "timezone": "Europe/London",
        "visibility": "public",
    }
    data.update(kw)
    return data


def ts(day, hour, minute=0, tz=UTC):
    return dt.datetime(2030, 5, day, hour, minute, tzinfo=tz)


@pytest.fixture
def store():
    return MemoryStore()


def test_only_the_organisers_group_creates_events(store):
    with pytest.raises(Forbidden):
        events.create_event(store, ALICE, event_data())
    event = events.create_event(store, OLGA, event_data())
    assert store.get_membership(event.id, OLGA.member_id).is_organiser


def test_dates_must_be_in_order(store):
    with pytest.raises(ValidationFailed) as err:
        events.create_event(store, OLGA, event_data(endsOn=dt.date(2030, 5, 1)))
    assert err.value.errors[0].field == "endsOn"


def test_private_events_are_invisible_to_outsiders(store):
    event = events.create_event(store, OLGA, event_data(visibility="private"))
    for caller in (None, ALICE, OSCAR):
        with pytest.raises(NotFound):
            events.visible_event(store, event.id, caller)
    assert events.visible_event(store, event.id, OLGA)[0].id == event.id


def test_attendees_cannot_change_an_event(store):
    event = events.create_event(store, OLGA, event_data())
    members.join_event(store, ALICE, event.id)
    with pytest.raises(Forbidden):
        events.update_event(store, ALICE, event.id, {"name": "mine"})


def test_sessions_must_fit_the_event_in_its_time_zone(store):
    event = events.create_event(store, OLGA, event_data())  # London is UTC+1 in May
    ok = {
        "title": "t",
        "startsAt": ts(17, 23, 30),
        "endsAt": ts(18, 0, 30),
    }  # 00:30-01:30 on the 18th in London
    assert events.create_session(store, OLGA, event.id, ok).id
    too_early = {"title": "t", "startsAt": ts(17, 22, 0), "endsAt": ts(17, 22, 30)}  # 23:00 on the 17th
    with pytest.raises(ValidationFailed):
        events.create_session(store, OLGA, event.id, too_early)
    too_late = {"title": "t", "startsAt": ts(20, 22, 0), "endsAt": ts(20, 23, 30)}  # 00:30 on the 21st
    with pytest.raises(ValidationFailed):
        events.create_session(store, OLGA, event.id, too_late)


def test_narrowing_dates_is_refused_while_sessions_fall_outside(store):
    event = events.create_event(store, OLGA, event_data())
    events.create_session(
        store, OLGA, event.id, {"title": "last", "startsAt": ts(20, 9), "endsAt": ts(20, 10)}
    )
    with pytest.raises(Conflict):
        events.update_event(store, OLGA, event.id, {"endsOn": dt.date(2030, 5, 19)})
    events.update_event(store, OLGA, event.id, {"endsOn": dt.date(2030, 5, 21)})  # widening is fine
    assert store.get_event(event.id).ends_on == dt.date(2030, 5, 21)


def test_all_sessions_reads_every_page(store):
    event = events.create_event(store, OLGA, event_data())
    for i in range(230):
        start = ts(18, 8) + dt.timedelta(minutes=i)
        events.create_session(
            store,
            OLGA,
            event.id,
            {"title": f"s{i}", "startsAt": start, "endsAt": start + dt.timedelta(minutes=1)},
        )
    assert len(events.all_sessions(store, event.id)) == 230


def test_list_events_includes_those_ending_yesterday_for_far_time_zones(store):
    events.create_event(
        store, OLGA, event_data(startsOn=dt.date(2030, 5, 1), endsOn=dt.date(2030, 5, 9), hashtag="a")
    )
    events.create_event(
        store, OLGA, event_data(startsOn=dt.date(2030, 5, 1), endsOn=dt.date(2030, 5, 8), hashtag="b")
    )
    page = events.list_events(store, dt.date(2030, 5, 10), 10, None)
    assert [e.hashtag for e in page.items] == ["a"]


def test_join_private_event_needs_an_organiser(store):
    event = events.create_event(store, OLGA, event_data(visibility="private"))
    with pytest.raises(NotFound):
        members.join_event(store, ALICE, event.id)
    members.ensure_member(store, ALICE)
    members.join_event(store, OLGA, event.id, ALICE.member_id)
    assert events.visible_event(store, event.id, ALICE)[1].is_attendee


def test_member_display_name_defaults_to_username(store):
    assert members.ensure_member(store, ALICE).display_name == "alice"
    nameless = Caller("x-id", "", email="x@example.org")
    assert members.ensure_member(store, nameless).display_name == "x"


def test_a_first_display_name_taken_from_the_sign_in_loses_invisible_format_characters(store):
    member = members.ensure_member(store, Caller("m-rtl", email="\u202egnp.exe\u200b@example.org"))
    assert member.display_name == "gnp.exe"
