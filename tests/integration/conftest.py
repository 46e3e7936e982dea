from __future__ import annotations

import datetime as dt

import pytest

from local.pumps import Pumps
from tests.support.circulation import WORKERS, Receiver, Runtime


@pytest.fixture
def olga(api):
    """An organiser (member of the organisers group)."""
    return api.user("olga", organiser=True)


@pytest.fixture
def oscar(api):
    """Another organiser, of other events."""
    return api.user("oscar", organiser=True)


@pytest.fixture
def alice(api):
    return api.user("alice")


@pytest.fixture
def bob(api):
    return api.user("bob")


def future_event(**overrides) -> dict:
    start = dt.date.today() + dt.timedelta(days=10)
    body = {
        "name": "Learning at Work Week",
        "hashtag": "LAWW",
        "startsOn": start.isoformat(),
        "endsOn": (start + dt.timedelta(days=2)).isoformat(),
        "timezone": "Europe/London",
        "description": "Networked for learning",
        "visibility": "public",
        "codeOfConductUrl": "https://example.org/coc",
    }
    body.update(overrides)
    return body


def session_body(event: dict, day: int = 0, hour: int = 9, **overrides) -> dict:
    date = dt.date.fromisoformat(event["startsOn"]) + dt.timedelta(days=day)
    body = {
        "title": "Opening keynote",
        "abstract": "Why we learn in networks",
        "speakers": [{"name": "Jane Hart", "link": "https://example.org/jane"}],
        "room": "Main hall",
        "track": "Plenary",
        "startsAt": f"{date}T{hour:02d}:00:00+00:00",
        "endsAt": f"{date}T{hour:02d}:45:00+00:00",
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_event(api, olga):
    def make(owner=None, **overrides):
        r = api.post("/events", future_event(**overrides), as_=owner or olga)
        assert r.status == 201, r
        return r.json

    return make


@pytest.fixture
def make_session(api, olga):
    def make(event, owner=None, **overrides):
        r = api.post(f"/events/{event['id']}/sessions", session_body(event, **overrides), as_=owner or olga)
        assert r.status == 201, r
        return r.json

    return make


# -- circulation: the chain through the workers, driven by the local pumps -----------------------------


@pytest.fixture
def loopback(aws):
    """The local runtime's setting: webhooks and Mastodon on 127.0.0.1 are allowed (over http)."""
    for spec in aws.functions.values():
        if "OUTBOUND_ALLOW_LIST" in spec.environment:
            spec.environment["OUTBOUND_ALLOW_LIST"] = "127.0.0.1"
            spec.environment["DELIVERY_RETRY_BASE_SECONDS"] = "1"
    return aws


@pytest.fixture
def pumps(aws, api, loopback):
    group = aws.stack.physical_ids["PacksScheduleGroup"]
    aws.client("scheduler").create_schedule_group(Name=group)
    return Pumps(aws, {name: Runtime(api, name) for name in WORKERS}, sqs_retry_visibility=0)


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def event(make_event):
    return make_event()
