"""Demo data for ``make run``: one organiser, one event happening now, a handful of sessions, and life
in it: three members who joined, posts with hashtags and links, a public and an attendees-only note,
questions with votes, a published summary and a starred session,
so the first look, the web app and a first pack all show something real.

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

__all__ = ["DEMO_MEMBERS", "DEMO_ORGANISER", "demo_event", "demo_sessions", "seed_demo"]

log = logging.getLogger("local.demo")

DEMO_ORGANISER = "demo-organiser"
DEMO_MEMBERS = ("ada", "ben", "chloe")  # attendees of the demo event (make user NAME=ada for a token)
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


def _post(url: str, token: str, payload: dict[str, Any], *, method: str = "POST") -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method=method,
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


def seed_demo(
    base_url: str, outputs: dict[str, str], *, now: datetime | None = None, life: bool = True
) -> dict[str, Any]:
    """Create the demo organiser, event and sessions through the API, and with ``life`` its members and
    what they say; warn (never raise) on failure.

    Returns what was created: ``{"organiser", "token", "event_id", "session_ids", "members", "post_ids",
    "note_ids", "question_ids", "starred", "summary" (published or not), "warnings"}``.
    """
    tz = ZoneInfo(TIMEZONE)
    now = (now or datetime.now(tz)).astimezone(tz)
    today = now.date()
    result: dict[str, Any] = {
        "organiser": DEMO_ORGANISER,
        "event_id": None,
        "session_ids": [],
        "members": [],
        "post_ids": [],
        "note_ids": [],
        "question_ids": [],
        "starred": [],
        "summary": False,
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
    if life and result["session_ids"]:
        _seed_life(base_url, outputs, user["token"], event_id, result, warn)
    from local.fake_networks import seed_collection  # hashtag posts on the fake Mastodon, collected

    for message in seed_collection(base_url, _post, user["token"], event_id):
        warn(message)
    log.info(
        "demo data: event %s with %d session(s), %d post(s), %d note(s), %d question(s); organiser %s, "
        "members %s (make user NAME=<name> for a token)",
        event_id,
        len(result["session_ids"]),
        len(result["post_ids"]),
        len(result["note_ids"]),
        len(result["question_ids"]),
        DEMO_ORGANISER,
        ", ".join(result["members"]),
    )
    return result


# What the members of the live session say; {session} is its id. Posts name the event's hashtag.
_POSTS = (
    (
        "ada",
        "Narrating your work is the cheapest way to learn in public #LAWW26 #WOL https://workingoutloud.com",
    ),
    (
        "ben",
        '"Make your work visible, then make it better": slides at https://example.org/wol-slides #LAWW26',
    ),
    ("chloe", "Trying a working-out-loud circle with my team next month. Who has run one? #LAWW26 #WOL"),
)
_NOTES = (
    (
        "ada",
        "public",
        "Working out loud, five elements",
        "Relationships, generosity, visible work, purposeful discovery, growth mindset.\n\n"
        "Guide: https://workingoutloud.com/circle-guides",
    ),
    ("ben", "attendees", "For the room", "Jane's exercise: list ten people who care about what you learn."),
)
_QUESTIONS = (
    ("ada", "How do you start working out loud in a team that hoards information?", ("ben", "chloe")),
    ("ben", "What is the smallest first step you would suggest for this week?", ("chloe",)),
)
_SUMMARY = """## Working out loud: making your learning visible

Jane showed how narrating your work, small and often, builds a network that teaches you back.

- Start with **one person** and one goal; a circle of four to five meets weekly for twelve weeks.
- Share work in progress, not only results.
- Contribute before you ask.

Resources: [circle guides](https://workingoutloud.com/circle-guides), [slides](https://example.org/wol-slides).
"""


def _seed_life(
    base_url: str,
    outputs: dict[str, str],
    organiser_token: str,
    event_id: str,
    result: dict[str, Any],
    warn: Any,
) -> None:
    """Members join and talk in the live session; the organiser publishes its summary."""
    result.update(members=[], post_ids=[], note_ids=[], question_ids=[], starred=[])
    live, *later = result["session_ids"]

    def call(path: str, token: str, payload: dict[str, Any], method: str = "POST") -> Any:
        status, body = _post(f"{base_url}{path}", token, payload, method=method)
        if status not in (200, 201, 204):
            warn(f"{method} {path} answered {status}: {_short(body)}")
            return None
        return body if isinstance(body, dict) else {}

    tokens: dict[str, str] = {}
    for name in DEMO_MEMBERS:
        try:
            tokens[name] = create_user(outputs, name)["token"]
        except Exception as exc:  # the demo must never stop the runtime
            warn(f"could not create the demo member {name}: {exc}")
            continue
        if call(f"/events/{event_id}/attendance", tokens[name], {}) is not None:
            result["members"].append(name)
    for name, text in _POSTS:
        if name in tokens and (
            body := call(f"/events/{event_id}/posts", tokens[name], {"text": text, "sessionId": live})
        ):
            result["post_ids"].append(body.get("id"))
    for name, visibility, title, text in _NOTES:
        note = {
            "title": title,
            "body": text,
            "visibility": visibility,
            "shareInPacks": True,
        }
        if name in tokens and (body := call(f"/sessions/{live}/notes", tokens[name], note)):
            result["note_ids"].append(body.get("id"))
    for name, text, voters in _QUESTIONS:
        body = call(f"/sessions/{live}/questions", tokens[name], {"text": text}) if name in tokens else None
        if not body:
            continue
        result["question_ids"].append(body.get("id"))
        for voter in voters:
            if voter in tokens:
                call(f"/questions/{body.get('id')}/votes", tokens[voter], {})
    summary = {"body": _SUMMARY, "status": "published"}
    result["summary"] = call(f"/sessions/{live}/summary", organiser_token, summary, method="PUT") is not None
    if later and "ada" in tokens and call(f"/sessions/{later[0]}/star", tokens["ada"], {}) is not None:
        result["starred"].append(later[0])


def _short(body: Any, limit: int = 300) -> str:
    text = body if isinstance(body, str) else json.dumps(body)
    return text if len(text) <= limit else text[:limit] + "..."
