"""Demo data (local.demo): dates relative to today, and never fatal."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from local.demo import demo_event, demo_sessions, seed_demo

LONDON = ZoneInfo("Europe/London")


def test_the_event_runs_from_today_and_one_session_is_live_now():
    now = datetime(2026, 5, 18, 10, 5, tzinfo=LONDON)
    event = demo_event(now.date())
    sessions = demo_sessions(now, now.date())

    assert (event["startsOn"], event["endsOn"]) == ("2026-05-18", "2026-05-22")
    assert event["hashtag"].isidentifier()
    starts_on, ends_on = date.fromisoformat(event["startsOn"]), date.fromisoformat(event["endsOn"])
    live = 0
    for session in sessions:
        starts, ends = datetime.fromisoformat(session["startsAt"]), datetime.fromisoformat(session["endsAt"])
        assert starts.utcoffset() is not None  # timestamps carry their offset
        assert starts < ends
        assert starts_on <= starts.astimezone(LONDON).date() <= ends.astimezone(LONDON).date() <= ends_on
        live += starts <= now < ends
    assert live == 1


def test_just_after_midnight_the_live_session_still_starts_inside_the_event():
    now = datetime(2026, 5, 18, 0, 5, tzinfo=LONDON)
    live = demo_sessions(now, now.date())[0]

    assert datetime.fromisoformat(live["startsAt"]).date() == now.date()
    assert datetime.fromisoformat(live["startsAt"]) <= now < datetime.fromisoformat(live["endsAt"])


def test_seeding_warns_instead_of_failing_when_the_api_rejects_it(local_runtime):
    """The fixture stack has no /events route: every call fails, and seeding reports it."""
    result = seed_demo(local_runtime.url, local_runtime.outputs)

    assert result["event_id"] is None
    assert result["warnings"]
    assert result["warnings"][0].startswith("POST /events answered 404")
