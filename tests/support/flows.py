"""The steps the flow tests take against a running local runtime (see ``tests.support.runtime``): sign a
member in, create an event and its sessions, attend, post, write a note. Each step asserts that it was
created (201) and returns the reply.

    organiser = member_token(runtime, "olga", organiser=True)
    event_id = create_event(base, organiser, "Camp", "camp", days=2, visibility="public").json["id"]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from local.runner import LocalRuntime
from local.user import create_user
from tests.support.runtime import Response, http

__all__ = [
    "attend",
    "create_event",
    "create_note",
    "create_post",
    "create_session",
    "event_body",
    "member_token",
]


def member_token(runtime: LocalRuntime, name: str, *, organiser: bool = False) -> str:
    """A member of the runtime's user pool (optionally an organiser), signed in: their access token."""
    return create_user(runtime.outputs, name, organiser=organiser)["token"]


def event_body(
    name: str, hashtag: str, *, starts_on: dt.date | None = None, days: int = 1, **fields: Any
) -> dict[str, Any]:
    """What ``POST /events`` takes: ``days`` long from ``starts_on`` (tomorrow unless given), in UTC unless
    ``timezone`` is given."""
    starts_on = starts_on or dt.date.today() + dt.timedelta(days=1)
    return {
        "name": name,
        "hashtag": hashtag,
        "startsOn": str(starts_on),
        "endsOn": str(starts_on + dt.timedelta(days=days - 1)),
        "timezone": "UTC",
        **fields,
    }


def create_event(base: str, token: str, name: str, hashtag: str, **fields: Any) -> Response:
    """An event made with :func:`event_body` (same keywords)."""
    return _created(f"{base}/events", token, event_body(name, hashtag, **fields))


def create_session(
    base: str, token: str, event_id: str, title: str, starts_at: str, ends_at: str
) -> Response:
    body = {"title": title, "startsAt": starts_at, "endsAt": ends_at}
    return _created(f"{base}/events/{event_id}/sessions", token, body)


def attend(base: str, token: str, event_id: str) -> Response:
    """Join an event as an attendee: the membership."""
    return _created(f"{base}/events/{event_id}/attendance", token)


def create_post(base: str, token: str, event_id: str, text: str) -> Response:
    return _created(f"{base}/events/{event_id}/posts", token, {"text": text})


def create_note(base: str, token: str, session_id: str, body: str, visibility: str) -> Response:
    return _created(f"{base}/sessions/{session_id}/notes", token, {"body": body, "visibility": visibility})


def _created(url: str, token: str, body: Any = None) -> Response:
    """POST ``body`` (JSON, or nothing), which must answer 201 Created."""
    reply = http("POST", url, token=token, json_body=body)
    assert reply.status == 201, reply.body
    return reply
