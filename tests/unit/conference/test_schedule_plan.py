"""Planning an import: matched by externalId, so a second import of the same schedule changes
nothing, a changed title updates one session, and only removeMissing removes, never a session made by
hand. New sessions get hashtags unique within the event."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from backchannel.conference.schedule import plan
from tests.support.fakes import a_session, an_event

EVENT = an_event(
    "E",
    hashtag="demo26",
    starts_on=dt.date(2026, 3, 28),
    ends_on=dt.date(2026, 3, 29),
    timezone="Europe/Berlin",
)
TEXT = (Path(__file__).parent / "schedules" / "pretalx_schedule.json").read_text(encoding="utf-8")
NOW = "2026-03-01T00:00:00.000Z"


def entries():
    return plan.read("auto", TEXT, EVENT)[1]


def first_import():
    return plan.plan(EVENT, [], entries(), remove_missing=False, now=NOW).create


def test_a_first_import_creates_every_session_with_its_external_id():
    created = first_import()
    assert len(created) == 5
    assert {s.external_id for s in created} == {e.external_id for e in entries()}
    assert all(s.event_id == "E" and s.version == 1 for s in created)


def test_importing_the_same_schedule_again_changes_nothing():
    again = plan.plan(EVENT, first_import(), entries(), remove_missing=True, now=NOW)
    assert again.counts() == {"created": 0, "updated": 0, "unchanged": 5, "removed": 0}


def test_a_changed_title_updates_that_session_only_keeping_its_id_and_hashtag():
    existing = first_import()
    changed = entries()
    changed[0] = dataclasses.replace(changed[0], title="Opening Keynote (moved)")
    result = plan.plan(EVENT, existing, changed, remove_missing=False, now="2026-03-02T00:00:00.000Z")
    assert result.counts() == {"created": 0, "updated": 1, "unchanged": 4, "removed": 0}
    ((before, after),) = result.update
    assert (after.id, after.hashtag, after.created_at) == (before.id, before.hashtag, before.created_at)
    assert after.title == "Opening Keynote (moved)" and after.version == before.version + 1


def test_a_session_gone_from_the_schedule_is_removed_only_with_remove_missing_and_never_a_hand_made_one():
    existing = [
        *first_import(),
        a_session("HAND", "E", starts_at=dt.datetime(2026, 3, 28, 12, tzinfo=dt.UTC)),
    ]
    fewer = entries()[1:]
    kept = plan.plan(EVENT, existing, fewer, remove_missing=False, now=NOW)
    assert kept.counts() == {"created": 0, "updated": 0, "unchanged": 4, "removed": 0}
    removed = plan.plan(EVENT, existing, fewer, remove_missing=True, now=NOW)
    assert [s.external_id for s in removed.remove] == [entries()[0].external_id]


def test_new_sessions_get_hashtags_from_their_titles_unique_in_the_event():
    taken = [a_session("OLD", "E", hashtag="OpeningKeynote")]
    created = plan.plan(EVENT, taken, entries(), remove_missing=False, now=NOW).create
    tags = [s.hashtag for s in created]
    assert tags[0] == "OpeningKeynote2" and "NightSession" in tags
    assert len({t.lower() for t in tags}) == len(tags)
    assert (
        plan.hashtag("Über 30 Zeichen: Ein sehr langer Titel, wirklich", set())
        == "Uber30ZeichenEinSehrLangerTite"
    )
    assert plan.hashtag("!!!", {"session"}) == "Session2"
    assert plan.hashtag("demo26", {"demo26"}) == "Demo262"  # never the event's own hashtag
