"""Demo data for ``make run``: one organiser, one event happening now, a handful of sessions.

Seeding goes through the HTTP API with a real token, exactly as a client would, so a fresh
``make run`` also exercises the whole path (gateway, authorizer, functions, tables). Dates are
relative to today so "current and upcoming" lists show the event, with one session live now.
Anything the API rejects is reported as a warning; the runtime keeps running.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from local.user import create_user

__all__ = ["DEMO_ORGANISER", "demo_event", "demo_sessions", "seed_demo"]

log = logging.getLogger("local.demo")

DEMO_ORGANISER = "demo-organiser"
TIMEZONE = "Europe/London"


def demo_event(today: date) -> dict[str, Any]:
    """The event: starts today, ends in four days."""
    return {
        "name": "Learning at Work Week: Networked for Learning",
        "hashtag": "LAWW26",
        "startsOn": today.isoformat(),
        "endsOn": (today + timedelta(days=4)).isoformat(),
        "timezone": TIMEZONE,
        "description": (
            "A week of sessions on how people learn from each other at work: personal learning "
            "networks, working out loud, communities of practice and the tools that help."
        ),
        "visibility": "public",
        "codeOfConductUrl": "https://example.org/code-of-conduct",
    }


def _at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def demo_sessions(now: datetime, today: date) -> list[dict[str, Any]]:
    """Sessions inside the event's dates; the first is live at ``now`` (timestamps with offset)."""
    tz = ZoneInfo(TIMEZONE)
    midnight = _at(today, 0, 0, tz)
    live_start = max(now - timedelta(minutes=20), midnight)
    live_end = live_start + timedelta(hours=1)
    day2, day3 = today + timedelta(days=1), today + timedelta(days=2)
    plan = [
        (
            "Working out loud: making your learning visible",
            "How narrating your work builds a network that teaches you back.",
            [{"name": "Jane Hart", "link": "https://example.org/speakers/jane"}],
            "Main hall",
            "Networks",
            live_start,
            live_end,
            "WOL",
        ),
        (
            "Personal learning networks in practice",
            "Seek, sense, share: a practical walk through building and tending a PLN.",
            [{"name": "Harold Jarche"}],
            "Room 1",
            "Networks",
            _at(day2, 9, 30, tz),
            _at(day2, 10, 30, tz),
            None,
        ),
        (
            "Communities of practice that last",
            "What keeps a community alive after the launch event, with examples from three organisations.",
            [{"name": "Etienne Example"}, {"name": "Bev Sample", "link": "https://example.org/bev"}],
            "Room 2",
            "Communities",
            _at(day2, 11, 0, tz),
            _at(day2, 12, 0, tz),
            "CoP",
        ),
        (
            "Backchannels: the conference behind the conference",
            "Hashtags, shared notes and live questions: keeping the conversation after the room empties.",
            [{"name": "Sam Speaker"}],
            "Main hall",
            "Tools",
            _at(day3, 14, 0, tz),
            _at(day3, 15, 0, tz),
            None,
        ),
    ]
    sessions = []
    for title, abstract, speakers, room, track, starts, ends, hashtag in plan:
        session: dict[str, Any] = {
            "title": title,
            "abstract": abstract,
            "speakers": speakers,
            "room": room,
            "track": track,
            "startsAt": starts.isoformat(timespec="seconds"),
            "endsAt": ends.isoformat(timespec="seconds"),
        }
        if hashtag:
            session["hashtag"] = hashtag
        sessions.append(session)
    return sessions


def _post(url: str, token: str, payload: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    try:
        return status, json.loads(body or b"null")
    except ValueError:
        return status, body.decode("utf-8", "replace")


def seed_demo(base_url: str, outputs: dict[str, str], *, now: datetime | None = None) -> dict[str, Any]:
    """Create the demo organiser, event and sessions through the API; warn (never raise) on failure.

    Returns what was created: ``{"organiser", "token", "event_id", "session_ids", "warnings"}``.
    """
    tz = ZoneInfo(TIMEZONE)
    now = (now or datetime.now(tz)).astimezone(tz)
    today = now.date()
    result: dict[str, Any] = {
        "organiser": DEMO_ORGANISER,
        "event_id": None,
        "session_ids": [],
        "warnings": [],
    }

    def warn(message: str) -> None:
        result["warnings"].append(message)
        log.warning("demo data: %s", message)

    try:
        user = create_user(outputs, DEMO_ORGANISER, organiser=True)
    except Exception as exc:  # the demo must never stop the runtime
        warn(f"could not create the demo organiser: {exc}")
        return result
    result["token"] = user["token"]
    status, body = _post(f"{base_url}/events", user["token"], demo_event(today))
    event_id = body.get("id") if isinstance(body, dict) else None
    if status != 201 or not event_id:
        warn(f"POST /events answered {status}: {_short(body)}")
        return result
    result["event_id"] = event_id
    for session in demo_sessions(now, today):
        status, body = _post(f"{base_url}/events/{event_id}/sessions", user["token"], session)
        if status == 201 and isinstance(body, dict) and body.get("id"):
            result["session_ids"].append(body["id"])
        else:
            warn(f"POST /events/{event_id}/sessions ({session['title']!r}) answered {status}: {_short(body)}")
    log.info(
        "demo data: event %s with %d session(s), organiser %s (make user NAME=%s ORGANISER=1 for a token)",
        event_id,
        len(result["session_ids"]),
        DEMO_ORGANISER,
        DEMO_ORGANISER,
    )
    return result


def _short(body: Any, limit: int = 300) -> str:
    text = body if isinstance(body, str) else json.dumps(body)
    return text if len(text) <= limit else text[:limit] + "..."
