"""No bad input yields a 500: arbitrary JSON (and non-JSON) bodies, at every route that takes a body,
from a caller who is allowed to use it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import future_event, session_body

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=12,
)
# bodies that look like the real thing, with fields of the wrong shape
FIELDS = [
    "name",
    "hashtag",
    "startsOn",
    "endsOn",
    "timezone",
    "visibility",
    "title",
    "startsAt",
    "endsAt",
    "speakers",
    "text",
    "sessionId",
    "inReplyTo",
    "id",
    "body",
    "status",
    "memberId",
    "handle",
    "links",
    "anonymous",
    "answered",
    "preModeration",
    "type",
    "mode",
    "address",
    "url",
    "instanceUrl",
    "accessToken",
    "code",
]
near_misses = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
bodies = st.one_of(near_misses, json_values, st.binary(max_size=64))


@pytest.fixture
def world(api):
    organiser = api.user("fuzz_organiser", organiser=True)
    event = api.post("/events", future_event(), as_=organiser).json
    session = api.post(f"/events/{event['id']}/sessions", session_body(event), as_=organiser).json
    note = api.post(
        f"/sessions/{session['id']}/notes", {"body": "n", "visibility": "public"}, as_=organiser
    ).json
    question = api.post(f"/sessions/{session['id']}/questions", {"text": "why?"}, as_=organiser).json
    channel = api.post("/me/channels", {"type": "email", "address": "o@example.org"}, as_=organiser).json
    return organiser, event, session, note, question, channel


ROUTES = [
    ("POST", "/events"),
    ("PATCH", "/events/{event}"),
    ("POST", "/events/{event}/sessions"),
    ("POST", "/events/{event}/schedule-imports"),
    ("POST", "/events/{event}/organisers"),
    ("POST", "/events/{event}/attendance"),
    ("PATCH", "/sessions/{session}"),
    ("PATCH", "/me"),
    ("POST", "/events/{event}/posts"),
    ("POST", "/sessions/{session}/notes"),
    ("PUT", "/notes/{note}"),
    ("PUT", "/sessions/{session}/summary"),
    ("POST", "/sessions/{session}/questions"),
    ("PATCH", "/questions/{question}"),
    ("PUT", "/sessions/{session}/questions/settings"),
    ("POST", "/me/follows"),
    ("POST", "/me/blocks"),
    ("POST", "/me/channels"),
    ("POST", "/me/channels/{channel}/verification"),
]


@pytest.mark.parametrize(("method", "template"), ROUTES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_arbitrary_bodies_get_a_4xx_or_a_success_never_a_500(api, world, method, template, body):
    organiser, event, session, note, question, channel = world
    path = template.format(
        event=event["id"],
        session=session["id"],
        note=note["id"],
        question=question["id"],
        channel=channel["id"],
    )
    kwargs = {"body": body} if isinstance(body, bytes) else {"json_body": body}
    etag = api.get(f"/notes/{note['id']}", as_=organiser).headers["etag"] if "/notes/" in path else ""
    r = api.request(method, path, as_=organiser, headers={"If-Match": etag}, **kwargs)  # "*" is a 428
    assert r.status < 500, (method, path, body, r)
    if r.status >= 400:
        assert r.headers["content-type"] == "application/problem+json"


DEEP = "[" * 5000 + "]" * 5000


def test_json_nested_too_deeply_is_a_400_naming_the_body_on_every_route(api, world):
    # json.loads recurses per level and raises RecursionError (not a ValueError) on '[' * 5000
    organiser, event, session, note, question, channel = world
    ids = {"event": event["id"], "session": session["id"], "note": note["id"]}
    ids |= {"question": question["id"], "channel": channel["id"]}
    etag = api.get(f"/notes/{note['id']}", as_=organiser).headers["etag"]  # PUT refuses "*" first
    for method, template in ROUTES:
        r = api.request(method, template.format(**ids), as_=organiser, headers={"If-Match": etag}, body=DEEP)
        assert r.status == 400, (method, template, r)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json["errors"] == [{"field": "body", "message": "the body's JSON is nested too deeply"}]
