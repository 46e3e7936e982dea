"""One source for response shapes: every route, called successfully with realistic data, answers what
openapi.json publishes for it and that status. A JSON body has every documented required field, each of
its documented type (recursively: objects, list items, nullable fields), and no field the document does
not name; a route documented without a body answers none (204, a 302 redirect), or the feed or page its
case names (Atom, iCalendar, HTML). The routes come from template.yaml, so a new route without a case
fails :func:`test_every_template_route_has_a_case`.

One world is seeded for all routes (the circulation chain through the local pumps is the slow part), then
the cases run in order: those that delete or revoke come after the routes that read what they remove.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from backchannel_openapi.document import REPLAY_TEXT
from backchannel_openapi.routes import api_routes, load_template
from local.pumps import Pumps
from tests.integration.conftest import future_event, session_body
from tests.support.circulation import WORKERS, Runtime, email_channel, follow, sent_mail
from tests.support.mastodon import mastodon_server

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
JSON = "application/json"


@dataclass(frozen=True)
class Call:
    """One request: ``path`` (and query) with the world's names in braces (``/events/{event}``), made
    as ``as_`` (a user of the world; None: anonymous); names in braces in the body and the headers are
    the world's too."""

    path: str
    as_: str | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """How to call a route successfully; ``media`` is the content type of a route that documents no
    JSON body but answers one of another kind (a feed, a page)."""

    calls: tuple[Call, ...]
    media: str | None = None


def case(*calls: Call, media: str | None = None) -> Case:
    return Case(calls, media)


TWO_LETTERS = ["".join(pair) for pair in itertools.product(string.ascii_lowercase, repeat=2)]
ATOM = "application/atom+xml"
ICAL = "text/calendar"
HTML = "text/html"

# (method, template path) -> how to call it. In this order: deletions, revocations and the one-click
# unsubscribe come after the routes that read what they take away.
CASES: dict[tuple[str, str], Case] = {
    # -- conference: events, sessions, members ----------------------------------------------------------
    ("POST", "/events"): case(Call("/events", "olga", future_event(hashtag="Second", feedShards=2))),
    ("GET", "/events"): case(Call("/events"), Call("/events", "alice")),
    ("GET", "/events/{eventId}"): case(Call("/events/{event}"), Call("/events/{bare_event}", "olga")),
    ("PATCH", "/events/{eventId}"): case(
        Call("/events/{event}", "olga", {"description": "Networked for learning, all week"})
    ),
    ("POST", "/events/{eventId}/organisers"): case(
        Call("/events/{event}/organisers", "olga", {"memberId": "{dave_id}"})
    ),
    ("POST", "/events/{eventId}/sessions"): case(Call("/events/{event}/sessions", "olga", "{new_session}")),
    ("GET", "/events/{eventId}/sessions"): case(Call("/events/{event}/sessions")),
    ("GET", "/sessions/{sessionId}"): case(Call("/sessions/{session}"), Call("/sessions/{workshop}")),
    ("PATCH", "/sessions/{sessionId}"): case(
        Call("/sessions/{session}", "olga", {"room": "Lecture theatre", "track": None})
    ),
    ("GET", "/me"): case(Call("/me", "alice"), Call("/me", "dave")),
    ("PATCH", "/me"): case(Call("/me", "carol", {"handle": "carol_c", "bio": "Learning designer"})),
    ("GET", "/me/events"): case(Call("/me/events", "alice"), Call("/me/events", "olga")),
    ("POST", "/events/{eventId}/attendance"): case(Call("/events/{event}/attendance", "dave", {})),
    ("POST", "/sessions/{sessionId}/star"): case(Call("/sessions/{session}/star", "bob")),
    ("POST", "/events/{eventId}/schedule-imports"): case(
        Call("/events/{event}/schedule-imports", "olga", "{schedule}"),  # 201: imported at once
        Call(
            "/events/{event}/schedule-imports", "olga", {"url": "https://pretalx.example.org/s.json"}
        ),  # 202
    ),
    ("POST", "/events/{eventId}/sources"): case(
        Call("/events/{event}/sources", "olga", {"type": "mastodon", "instance": "{mastodon_url}"}),
        Call("/events/{event}/sources", "olga", {"type": "bluesky", "hashtags": ["LAWW"]}),
    ),
    ("GET", "/events/{eventId}/sources"): case(Call("/events/{event}/sources", "olga")),
    ("POST", "/events/{eventId}/sources/{sourceId}/sync"): case(
        Call("/events/{event}/sources/{source}/sync", "olga")
    ),
    ("GET", "/events/{eventId}/schedule-imports/{importId}"): case(
        Call("/events/{event}/schedule-imports/{schedule_import}", "olga"),
        Call("/events/{event}/schedule-imports/{failed_import}", "olga"),
    ),
    # -- capture: posts, notes, summaries -----------------------------------------------------------
    ("POST", "/events/{eventId}/posts"): case(
        Call(
            "/events/{event}/posts",
            "carol",
            {"text": "Slides: https://example.org/slides #LAWW @alice_a", "sessionId": "{session}"},
        ),
        # a post at its limit of 500 characters: as many mentions as fit (125), and as many hashtags
        Call("/events/{event}/posts", "carol", {"text": " ".join(f"@{h}" for h in TWO_LETTERS)[:500]}),
        Call("/events/{event}/posts", "carol", {"text": " ".join(f"#{h}" for h in TWO_LETTERS)[:500]}),
    ),
    ("GET", "/events/{eventId}/posts"): case(Call("/events/{event}/posts")),
    ("GET", "/sessions/{sessionId}/posts"): case(Call("/sessions/{session}/posts", "alice")),
    ("POST", "/sessions/{sessionId}/notes"): case(
        Call("/sessions/{session}/notes", "carol", {"title": "Mine", "body": "- a\n- b"}),
        Call("/sessions/{session}/notes", "carol", {"body": "untitled", "visibility": "public"}),
    ),
    ("GET", "/notes/{noteId}"): case(Call("/notes/{public_note}"), Call("/notes/{private_note}", "alice")),
    ("PUT", "/notes/{noteId}"): case(
        Call(
            "/notes/{public_note}",
            "olga",
            {"title": "Keynote notes", "body": "Networks, *revised*", "visibility": "public"},
            {"If-Match": "{public_note_etag}"},
        )
    ),
    ("GET", "/sessions/{sessionId}/notes"): case(
        Call("/sessions/{session}/notes"), Call("/sessions/{session}/notes", "alice")
    ),
    ("GET", "/me/notes"): case(Call("/me/notes", "alice")),
    ("PUT", "/sessions/{sessionId}/summary"): case(
        Call("/sessions/{session}/summary", "olga", {"body": "v2: see the slides", "status": "published"}),
        Call("/sessions/{session}/summary", "olga", {"body": "Draft of v3", "status": "draft"}),
    ),
    ("GET", "/sessions/{sessionId}/summary"): case(
        Call("/sessions/{session}/summary"), Call("/sessions/{session}/summary?status=draft", "olga")
    ),
    ("GET", "/sessions/{sessionId}/summary/versions"): case(Call("/sessions/{session}/summary/versions")),
    # -- questions ---------------------------------------------------------------------------------------
    ("POST", "/sessions/{sessionId}/questions"): case(
        Call("/sessions/{session}/questions", "carol", {"text": "What about informal learning?"}),
        Call("/sessions/{session}/questions", "carol", {"text": "And at home?", "anonymous": True}),
    ),
    ("GET", "/sessions/{sessionId}/questions"): case(
        Call("/sessions/{session}/questions"), Call("/sessions/{session}/questions?sort=new", "olga")
    ),
    ("GET", "/questions/{questionId}"): case(
        Call("/questions/{question}", "alice"), Call("/questions/{anonymous_question}")
    ),
    ("PATCH", "/questions/{questionId}"): case(
        Call("/questions/{question}", "olga", {"answered": True}),
        Call("/questions/{anonymous_question}", "olga", {"status": "hidden"}),
    ),
    ("POST", "/questions/{questionId}/votes"): case(Call("/questions/{question}/votes", "dave")),
    ("GET", "/sessions/{sessionId}/questions/settings"): case(Call("/sessions/{session}/questions/settings")),
    ("PUT", "/sessions/{sessionId}/questions/settings"): case(
        Call("/sessions/{session}/questions/settings", "olga", {"preModeration": True})
    ),
    # -- moderation ----------------------------------------------------------------------------------
    ("GET", "/posts/{postId}"): case(Call("/posts/{reported_post}"), Call("/posts/{hidden_post}", "dave")),
    ("POST", "/events/{eventId}/reports"): case(
        Call(
            "/events/{event}/reports",
            "bob",
            {"type": "post", "id": "{reported_post}", "reason": "off-topic", "comment": "not about learning"},
        )
    ),
    ("GET", "/events/{eventId}/reports"): case(Call("/events/{event}/reports", "olga")),
    ("GET", "/events/{eventId}/held-posts"): case(Call("/events/{held_event}/held-posts", "olga")),
    ("PUT", "/posts/{postId}/moderation"): case(
        Call("/posts/{held_post}/moderation", "olga", {"hidden": False}),
        Call("/posts/{held_post}/moderation", "olga", {"hidden": True, "reason": "spam"}),
    ),
    ("PUT", "/notes/{noteId}/moderation"): case(
        Call("/notes/{flagged_note}/moderation", "olga", {"hidden": True, "reason": "names a minor"})
    ),
    ("PUT", "/questions/{questionId}/moderation"): case(
        Call("/questions/{flagged_question}/moderation", "olga", {"hidden": True, "reason": "off-topic"})
    ),
    ("PUT", "/events/{eventId}/mutes/{memberId}"): case(
        Call(
            "/events/{event}/mutes/{mallory_id}", "olga", {"reason": "spam", "until": "2099-01-01T00:00:00Z"}
        ),
        Call("/events/{event}/mutes/{carol_id}", "olga", {"reason": "flooding"}),
    ),
    ("GET", "/events/{eventId}/mutes"): case(Call("/events/{event}/mutes", "olga")),
    ("GET", "/events/{eventId}/moderation-log"): case(Call("/events/{event}/moderation-log", "olga")),
    ("GET", "/me/moderation"): case(Call("/me/moderation", "dave")),
    # -- resources -----------------------------------------------------------------------------------
    ("GET", "/sessions/{sessionId}/resources"): case(Call("/sessions/{session}/resources")),
    ("GET", "/events/{eventId}/resources"): case(Call("/events/{event}/resources")),
    # -- feeds -----------------------------------------------------------------------------------------
    ("GET", "/events/{eventId}/feed.atom"): case(Call("/events/{event}/feed.atom"), media=ATOM),
    ("GET", "/sessions/{sessionId}/feed.atom"): case(Call("/sessions/{session}/feed.atom"), media=ATOM),
    ("GET", "/events/{eventId}/schedule.ics"): case(Call("/events/{event}/schedule.ics"), media=ICAL),
    # -- the network ----------------------------------------------------------------------------------
    ("POST", "/me/follows"): case(Call("/me/follows", "bob", {"type": "session", "id": "{session}"})),
    ("GET", "/me/follows"): case(Call("/me/follows", "alice")),
    ("GET", "/members/{handle}"): case(Call("/members/bob_b"), Call("/members/bob_b", "alice")),
    ("POST", "/me/blocks"): case(Call("/me/blocks", "bob", {"memberId": "{mallory_id}"})),
    ("GET", "/me/blocks"): case(Call("/me/blocks", "olga")),
    # -- channels ----------------------------------------------------------------------------------------
    ("POST", "/me/channels"): case(
        Call("/me/channels", "dave", {"type": "webhook", "url": "https://93.184.215.14/hook"}),
        Call("/me/channels", "dave", {"type": "feed", "mode": "digest"}),
        Call("/me/channels", "dave", {"type": "email", "address": "dave@example.org"}),
        Call(
            "/me/channels",
            "dave",
            {"type": "mastodon", "instanceUrl": "{mastodon_url}", "accessToken": "dave-token"},
        ),
    ),
    ("GET", "/me/channels"): case(Call("/me/channels", "alice"), Call("/me/channels", "olga")),
    ("POST", "/me/channels/{channelId}/verification"): case(
        Call("/me/channels/{pending_channel}/verification", "alice", {"code": "{pending_code}"})
    ),
    # -- packs -----------------------------------------------------------------------------------------
    ("GET", "/packs/{packId}"): case(
        Call("/packs/{event_pack}", "olga"),
        Call("/packs/{event_pack}"),
        Call("/packs/{bob_pack}", "bob"),
        Call("/packs/{session_pack}", "alice"),
    ),
    ("GET", "/packs/{packId}/download"): case(Call("/packs/{event_pack}/download", "olga")),
    ("GET", "/sessions/{sessionId}/packs"): case(
        Call("/sessions/{session}/packs", "olga"), Call("/sessions/{session}/packs")
    ),
    ("GET", "/events/{eventId}/packs"): case(
        Call("/events/{event}/packs", "olga"), Call("/events/{event}/packs")
    ),
    ("GET", "/me/packs"): case(Call("/me/packs", "bob")),
    ("GET", "/packs/{packId}/publication-preview"): case(
        Call("/packs/{session_pack}/publication-preview", "olga"),
        Call("/packs/{bob_pack}/publication-preview", "bob"),
    ),
    ("POST", "/packs/{packId}/publish"): case(Call("/packs/{session_pack}/publish", "olga")),
    ("GET", "/packs/{packId}/deliveries"): case(
        Call("/packs/{event_pack}/deliveries", "olga"), Call("/packs/{bob_pack}/deliveries", "bob")
    ),
    ("POST", "/sessions/{sessionId}/packs"): case(Call("/sessions/{workshop}/packs", "olga")),
    ("POST", "/events/{eventId}/packs"): case(Call("/events/{bare_event}/packs", "olga")),
    ("POST", "/me/packs"): case(Call("/me/packs", "alice", {"eventId": "{event}"})),
    # -- what reaches a member -------------------------------------------------------------------------
    ("GET", "/me/inbox"): case(Call("/me/inbox", "alice")),
    ("GET", "/me/inbox/{entryId}/download"): case(Call("/me/inbox/{entry}/download?format=md", "alice")),
    ("GET", "/feeds/inbox/{token}"): case(Call("/feeds/inbox/{feed_token}"), media=ATOM),
    ("GET", "/feeds/inbox/{token}/{entryId}"): case(Call("/feeds/inbox/{feed_token}/{entry}")),
    ("GET", "/circulated/{token}"): case(Call("/circulated/{link_token}")),
    ("GET", "/unsubscribe/{token}"): case(Call("/unsubscribe/{unsubscribe_token}"), media=HTML),
    # -- last: what takes away what the routes above read ---------------------------------------------
    ("DELETE", "/packs/{packId}/publications/{version}"): case(
        Call("/packs/{event_pack}/publications/1", "olga")
    ),
    ("POST", "/unsubscribe/{token}"): case(Call("/unsubscribe/{unsubscribe_token}"), media=HTML),
    ("DELETE", "/me/channels/{channelId}"): case(Call("/me/channels/{olga_webhook}", "olga")),
    ("DELETE", "/me/blocks/{memberId}"): case(Call("/me/blocks/{mallory_id}", "olga")),
    ("DELETE", "/me/follows/{followId}"): case(Call("/me/follows/event-{event}", "alice")),
    ("DELETE", "/questions/{questionId}/votes"): case(Call("/questions/{question}/votes", "bob")),
    ("DELETE", "/sessions/{sessionId}/star"): case(Call("/sessions/{session}/star", "alice")),
    ("DELETE", "/events/{eventId}/attendance"): case(Call("/events/{event}/attendance", "carol")),
    ("DELETE", "/events/{eventId}/reports/{itemId}"): case(
        Call("/events/{event}/reports/{reported_post}", "olga")
    ),
    ("DELETE", "/events/{eventId}/mutes/{memberId}"): case(
        Call("/events/{event}/mutes/{mallory_id}", "olga")
    ),
    ("DELETE", "/events/{eventId}/members/{memberId}"): case(
        Call("/events/{closed_event}/members/{carol_id}?reason=threats", "olga")
    ),
    ("DELETE", "/notes/{noteId}"): case(Call("/notes/{doomed_note}", "alice")),
    ("DELETE", "/posts/{postId}"): case(Call("/posts/{doomed_post}", "bob")),
    ("DELETE", "/events/{eventId}/sources/{sourceId}"): case(
        Call("/events/{event}/sources/{source}", "olga")
    ),
    ("DELETE", "/sessions/{sessionId}"): case(Call("/sessions/{doomed_session}", "olga")),
    ("GET", "/erasures/{erasureId}"): case(Call("/erasures/{erasure}")),
    ("POST", "/me/export"): case(Call("/me/export", "carol")),
    ("GET", "/me/exports/{exportId}"): case(Call("/me/exports/{bob_export}", "bob")),  # ready: url, expiresAt
    ("DELETE", "/me"): case(Call("/me", "mallory")),  # the last: mallory is erased
}


def test_every_template_route_has_a_case():
    routes = {(r.method, r.path) for r in api_routes(load_template(ROOT / "template.yaml"))}
    assert routes - set(CASES) == set(), "add a case for these routes to CASES"
    assert set(CASES) - routes == set(), "these cases are of routes the template no longer has"


# ---------------------------------------------------------------------------------------------------
# the check: a body against the schema openapi.json publishes
# ---------------------------------------------------------------------------------------------------

# Every keyword backchannel_openapi emits in a response schema; another one fails the check, so it
# grows with the generator instead of passing what it does not understand.
_ANNOTATIONS = {"description", "examples"}
_CHECKED = {
    "$ref",
    "anyOf",
    "type",
    "enum",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "items",
    "maxItems",
    "properties",
    "required",
    "additionalProperties",
}
_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def _resolve(ref: str) -> dict:
    node: Any = OPENAPI
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _format_ok(fmt: str, value: str) -> bool:
    if fmt == "date":
        return (
            bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))
            and _parsed(dt.date.fromisoformat, value) is not None
        )
    if fmt == "date-time":  # RFC 3339: a date, a time and an offset
        parsed = _parsed(dt.datetime.fromisoformat, value)
        return parsed is not None and parsed.tzinfo is not None and "T" in value.upper()
    if fmt == "uri":
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc)
    raise AssertionError(f"the check knows no format {fmt!r}")


def _parsed(parse, value: str) -> Any:
    try:
        return parse(value)
    except ValueError:
        return None


def shape_problems(value: Any, schema: dict, where: str = "$") -> list[str]:
    """What is wrong with ``value`` against ``schema`` (a schema of openapi.json), one line each."""
    unknown = set(schema) - _CHECKED - _ANNOTATIONS
    assert not unknown, f"{where}: the check does not know the keywords {sorted(unknown)}"
    if "$ref" in schema:
        return shape_problems(value, _resolve(schema["$ref"]), where)
    if "anyOf" in schema:  # the generator's nullable: [schema, {"type": "null"}]
        options = schema["anyOf"]
        if value is None and {"type": "null"} in options:
            return []
        others = [s for s in options if s != {"type": "null"}]
        found = [shape_problems(value, s, where) for s in others]
        if any(not f for f in found):
            return []
        return found[0] if len(found) == 1 else [f"{where}: matches none of {others}: {found}"]
    kind = schema.get("type")
    if kind is not None and not _TYPES[kind](value):
        return [f"{where}: {json.dumps(value)[:80]} is not of type {kind}"]
    out: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str):
        if "format" in schema and not _format_ok(schema["format"], value):
            out.append(f"{where}: {value!r} is not a {schema['format']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            out.append(f"{where}: shorter than {schema['minLength']}")
        if len(value) > schema.get("maxLength", len(value)):
            out.append(f"{where}: longer than {schema['maxLength']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < schema.get("minimum", value):
            out.append(f"{where}: {value} is below {schema['minimum']}")
        if value > schema.get("maximum", value):
            out.append(f"{where}: {value} is above {schema['maximum']}")
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            out.append(f"{where}: more than {schema['maxItems']} items")
        for i, item in enumerate(value):
            out += shape_problems(item, schema.get("items", {}), f"{where}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        out += [
            f"{where}: the required field {k!r} is missing"
            for k in schema.get("required", ())
            if k not in value
        ]
        if schema.get("additionalProperties", True) is False:
            out += [f"{where}: the field {k!r} is not documented" for k in value if k not in props]
        for k, v in value.items():
            if k in props:
                out += shape_problems(v, props[k], f"{where}.{k}")
    return out


def test_the_check_catches_what_it_is_for():
    post = {"$ref": "#/components/schemas/Post"}
    good = {
        "id": "p1",
        "eventId": "e1",
        "sessionId": None,
        "author": {"id": "m1", "displayName": "Alice"},
        "text": "hello",
        "hashtags": [],
        "mentions": [],
        "links": ["https://example.org"],
        "inReplyTo": None,
        "createdAt": "2026-05-18T09:30:00.000Z",
        "contentWarning": None,
        "moderation": None,
        "origin": None,
    }
    assert shape_problems(good, post) == []
    bad = {**good, "author": {"id": "m1"}, "links": [3], "sessionId": 7, "createdAt": "yesterday", "extra": 1}
    del bad["text"]
    assert sorted(shape_problems(bad, post)) == [
        "$.author: the required field 'displayName' is missing",
        "$.createdAt: 'yesterday' is not a date-time",
        "$.links[0]: 3 is not of type string",
        "$.sessionId: 7 is not of type string",
        "$: the field 'extra' is not documented",
        "$: the required field 'text' is missing",
    ]


# ---------------------------------------------------------------------------------------------------
# calling every route
# ---------------------------------------------------------------------------------------------------


def _successes(method: str, template: str) -> dict[int, dict]:
    """The success statuses openapi.json documents for the route's first call (not a replay's 200:
    one, or a 201 and a 202 for work that may be handed to a worker), and their response objects."""
    responses = OPENAPI["paths"][template][method.lower()]["responses"]
    return {int(s): r for s, r in responses.items() if int(s) < 400 and r["description"] != REPLAY_TEXT}


def answer_problems(method: str, template: str, media: str | None, reply) -> list[str]:
    """What differs between ``reply`` and the success answer openapi.json documents for the route."""
    successes = _successes(method, template)
    if reply.status not in successes:
        return [f"answered {reply.status}, documented {sorted(successes)}: {reply.body[:300]!r}"]
    status, documented = reply.status, successes[reply.status]
    ctype = reply.headers.get("content-type", "").split(";")[0].strip()
    out = []
    if "Location" in documented.get("headers", {}) and not reply.headers.get("location"):
        out.append("no Location header, documented")
    schema = documented.get("content", {}).get(JSON, {}).get("schema")
    if schema is not None:
        if ctype != JSON:
            return [*out, f"answered {ctype or 'no content type'}, documented {JSON}"]
        return out + shape_problems(json.loads(reply.body), schema)
    if status == 302:
        if not reply.headers.get("location"):
            out.append("a redirect without a Location")
    elif media is not None:
        if ctype != media or not reply.body:
            out.append(f"answered {ctype or 'no content type'} ({len(reply.body)} bytes), not {media}")
    elif reply.body:
        out.append(f"answered a {ctype or 'body'} body, documented none: {reply.body[:300]!r}")
    return out


def _fill(value: Any, names: dict[str, Any]) -> Any:
    """``value`` with the world's names in braces replaced (a whole "{name}" by the value itself)."""
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole and whole.group(1) in names:
            return names[whole.group(1)]
        return re.sub(r"\{(\w+)\}", lambda m: str(names[m.group(1)]), value)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


@pytest.fixture
def mastodon(loopback):
    """A Mastodon instance on loopback that knows olga's and dave's tokens (checked on creation)."""
    with mastodon_server(tokens={"olga-token", "dave-token"}) as server:
        loopback.allow(server.url)
        yield server


@pytest.fixture
def all_workers(aws, api, loopback):
    """The integration conftest's ``pumps`` with the resources worker too: the resource lists need it."""
    aws.client("scheduler").create_schedule_group(Name=aws.stack.physical_ids["PacksScheduleGroup"])
    workers = (*WORKERS, "ResourcesWorkerFunction", "ExportWorkerFunction")
    return Pumps(aws, {name: Runtime(api, name) for name in workers}, sqs_retry_visibility=0)


def _empty_list(reply) -> bool:
    if not reply.headers.get("content-type", "").startswith(JSON) or not reply.body:
        return False
    body = json.loads(reply.body)
    return isinstance(body, dict) and body.get("items") == []


def test_every_route_answers_in_its_documented_shape(
    api, all_workers, mastodon, olga, alice, bob, make_event, make_session
):
    users, names = seed(api, all_workers, olga, alice, bob, make_event, make_session, mastodon.url)
    found: dict[str, list[str]] = {}
    for (method, template), route_case in CASES.items():
        for call in route_case.calls:
            path, _, query = _fill(call.path, names).partition("?")
            reply = api.request(
                method,
                path,
                as_=users[call.as_] if call.as_ else None,
                json_body=_fill(call.body, names),
                headers=_fill(call.headers, names) or None,
                query=dict(parse_qsl(query)),
            )
            problems = answer_problems(method, template, route_case.media, reply)
            if not problems and _empty_list(reply):
                problems = ["answered an empty list: seed the world so that its items are checked too"]
            if problems:
                found.setdefault(f"{method} {template}", []).extend(f"{path}: {p}" for p in problems)
    assert found == {}, "answers that are not what openapi.json documents:\n" + "\n".join(
        f"{route}\n  " + "\n  ".join(lines) for route, lines in found.items()
    )


# ---------------------------------------------------------------------------------------------------
# the world
# ---------------------------------------------------------------------------------------------------


def seed(api, pumps, olga, alice, bob, make_event, make_session, mastodon_url: str) -> tuple[dict, dict]:
    """An event with sessions, posts, notes, questions, a summary and the resources they share, built
    packs (published, circulated to alice's inbox, mail and feed, and one left unpublished), follows,
    blocks and channels; returns the users and the names the cases use."""
    users = {"olga": olga, "alice": alice, "bob": bob}
    for name in ("carol", "dave", "mallory"):
        users[name] = api.user(name)
    for name, handle in (("alice", "alice_a"), ("bob", "bob_b"), ("olga", "olga_o")):
        profile = {"handle": handle, "bio": f"{name} learns in networks"}
        profile["links"] = [{"title": "Blog", "url": f"https://example.org/{name}"}]
        assert api.patch("/me", profile, as_=users[name]).status == 200
    for name in ("carol", "dave", "mallory"):
        api.get("/me", as_=users[name])

    event = make_event()
    bare_event = make_event(hashtag="Bare", description=None, codeOfConductUrl=None, visibility="unlisted")
    session = make_session(event, hashtag="Keynote")
    workshop = make_session(
        event, day=1, title="Workshop", abstract=None, room=None, track=None, speakers=[{"name": "Sam Adams"}]
    )
    doomed_session = make_session(event, day=2, title="Cancelled")
    eid, sid = event["id"], session["id"]
    for name in ("alice", "bob", "carol"):
        assert api.post(f"/events/{eid}/attendance", {}, as_=users[name]).status == 201

    def create(who, body, where=f"/events/{eid}/posts"):
        r = api.post(where, body, as_=users[who])
        assert r.status == 201, r
        return r.json

    first = create(
        "alice",
        {"text": "Read https://doi.org/10.1234/Net.Learn #LAWW @bob_b", "sessionId": sid},
    )
    create(
        "bob", {"text": "Agreed, and https://example.org/blog", "inReplyTo": first["id"], "sessionId": sid}
    )
    create("carol", {"text": "Coffee at the back #LAWW"})
    doomed_post = create("bob", {"text": "typo"})
    written = {"title": "Keynote", "body": "Networks.", "visibility": "public"}
    public_note = api.post(f"/sessions/{sid}/notes", written, as_=olga)
    create(
        "alice",
        {"body": "For attendees: https://example.org/a", "visibility": "attendees"},
        f"/sessions/{sid}/notes",
    )
    private_note = create("alice", {"title": "Private", "body": "Mine alone"}, f"/sessions/{sid}/notes")
    create(
        "bob",
        {"body": "Shared, not in packs", "visibility": "public", "shareInPacks": False},
        f"/sessions/{sid}/notes",
    )
    doomed_note = create("alice", {"body": "scratch"}, f"/sessions/{sid}/notes")
    question = create("alice", {"text": "How do networks start?"}, f"/sessions/{sid}/questions")
    anonymous_question = create(
        "bob", {"text": "Is lurking learning?", "anonymous": True}, f"/sessions/{sid}/questions"
    )
    assert api.post(f"/questions/{question['id']}/votes", as_=bob).status == 201
    summary = {"body": "We learnt about https://doi.org/10.1234/net.learn", "status": "published"}
    assert api.request("PUT", f"/sessions/{sid}/summary", json_body=summary, as_=olga).status == 200
    assert api.post(f"/sessions/{sid}/star", as_=alice).status == 201

    follow(api, alice, "member", bob.sub)
    follow(api, alice, "event", eid)
    email_channel(api, pumps, alice, "alice@example.org")
    feed = api.post("/me/channels", {"type": "feed"}, as_=alice).json
    pending = api.post("/me/channels", {"type": "email", "address": "alice2@example.org"}, as_=alice).json
    olga_webhook = api.post(
        "/me/channels", {"type": "webhook", "url": "https://93.184.215.14/h"}, as_=olga
    ).json
    mastodon = {"type": "mastodon", "instanceUrl": mastodon_url, "accessToken": "olga-token"}
    assert api.post("/me/channels", {**mastodon, "visibility": "unlisted"}, as_=olga).status == 201

    pumps.drain()  # the resources worker has counted the links; the packs are built after it
    [code_mail] = [m for m in sent_mail("alice2@example.org") if "code" in m["Subject"]]
    pending_code = code_mail["Subject"].rsplit(" ", 1)[-1]

    bob_pack = api.post("/me/packs", {"eventId": eid}, as_=bob).json["id"]
    event_pack = api.post(f"/events/{eid}/packs", as_=olga).json["id"]
    session_pack = api.post(f"/sessions/{sid}/packs", as_=olga).json["id"]
    pumps.drain()
    for pack_id, who in ((bob_pack, bob), (event_pack, olga), (session_pack, olga)):
        assert api.get(f"/packs/{pack_id}", as_=who).json["status"] == "ready"

    assert api.post(f"/packs/{bob_pack}/publish", as_=bob).status == 202
    pumps.drain()
    [mail] = [m for m in sent_mail("alice@example.org") if "code" not in m["Subject"]]
    link_token = re.search(r"/circulated/([\w-]+)", mail.get_body(("plain",)).get_content()).group(1)
    unsubscribe_token = re.search(r"/unsubscribe/([\w-]+)", mail["List-Unsubscribe"]).group(1)
    [entry] = api.get("/me/inbox", as_=alice).json["items"]
    bob_export = api.post("/me/export", as_=bob).json["id"]
    assert api.post(f"/packs/{event_pack}/publish", as_=olga).status == 202
    pumps.drain()
    assert api.get(f"/me/exports/{bob_export}", as_=bob).json["status"] == "ready"
    # After the last drain: the pumps read no more of the stream after a block (its conditional deletes
    # fail when there is no follow to delete, and moto restores the table, stream included, when a
    # transaction fails).
    assert api.post("/me/blocks", {"memberId": users["mallory"].sub}, as_=olga).status == 201

    day = event["startsOn"].replace("-", "")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//t//EN", "BEGIN:VEVENT", "UID:panel@example.org"]
    lines += [f"DTSTART:{day}T150000Z", f"DTEND:{day}T160000Z", "SUMMARY:Imported panel", "LOCATION:Hall"]
    lines += ["CATEGORIES:Plenary", "URL:https://example.org/panel", "END:VEVENT", "END:VCALENDAR", ""]
    calendar = "\r\n".join(lines)
    schedule = {"format": "ical", "content": calendar, "dryRun": True}
    schedule_import = api.post(f"/events/{eid}/schedule-imports", schedule, as_=olga).json["id"]
    failed = api.post(
        f"/events/{eid}/schedule-imports", {"content": calendar.replace("UID", "X-UID")}, as_=olga
    )
    assert failed.status == 422, failed
    # moderation: a reported post, a post waiting in an event that holds posts, a hidden post, a note
    # and a question to hide, and a private event with an attendee to remove
    reported = create("carol", {"text": "Off-topic: buy my course"})
    assert (
        api.post(
            f"/events/{eid}/reports", {"type": "post", "id": reported["id"], "reason": "spam"}, as_=alice
        ).status
        == 201
    )
    held_event = make_event(hashtag="Held", holdPosts=True)
    held = create("alice", {"text": "Waiting for approval"}, f"/events/{held_event['id']}/posts")
    hidden = create("dave", {"text": "Spam, spam", "contentWarning": "spam"})
    hide = {"hidden": True, "reason": "spam"}
    assert api.request("PUT", f"/posts/{hidden['id']}/moderation", json_body=hide, as_=olga).status == 200
    flagged_note = create(
        "carol", {"body": "About a named child", "visibility": "public"}, f"/sessions/{sid}/notes"
    )
    flagged_question = create("carol", {"text": "Off-topic?"}, f"/sessions/{sid}/questions")
    closed_event = make_event(hashtag="Closed", visibility="private")
    carol_in = {"memberId": users["carol"].sub}
    assert api.post(f"/events/{closed_event['id']}/attendance", carol_in, as_=olga).status == 201
    names = {
        "reported_post": reported["id"],
        "held_event": held_event["id"],
        "held_post": held["id"],
        "hidden_post": hidden["id"],
        "flagged_note": flagged_note["id"],
        "flagged_question": flagged_question["id"],
        "closed_event": closed_event["id"],
        "carol_id": users["carol"].sub,
        "schedule": schedule,
        "schedule_import": schedule_import,
        "failed_import": failed.json["detail"].split()[1],
        "event": eid,
        "bare_event": bare_event["id"],
        "session": sid,
        "workshop": workshop["id"],
        "doomed_session": doomed_session["id"],
        "new_session": session_body(event, day=1, hour=14, title="Panel", hashtag="Panel"),
        "dave_id": users["dave"].sub,
        "mallory_id": users["mallory"].sub,
        "doomed_post": doomed_post["id"],
        "public_note": public_note.json["id"],
        "public_note_etag": public_note.headers["etag"],
        "private_note": private_note["id"],
        "doomed_note": doomed_note["id"],
        "question": question["id"],
        "anonymous_question": anonymous_question["id"],
        "pending_channel": pending["id"],
        "pending_code": pending_code,
        "olga_webhook": olga_webhook["id"],
        "feed_token": feed["feedUrl"].rsplit("/", 1)[-1],
        "bob_pack": bob_pack,
        "event_pack": event_pack,
        "session_pack": session_pack,
        "entry": entry["id"],
        "bob_export": bob_export,
        "link_token": link_token,
        "unsubscribe_token": unsubscribe_token,
        "mastodon_url": mastodon_url,
        "source": api.post(
            f"/events/{eid}/sources", {"type": "mastodon", "instance": mastodon_url}, as_=olga
        ).json["id"],
    }
    eve = api.user("eve")  # erased at once: her erasure's record for GET /erasures/{id}
    api.get("/me", as_=eve)
    names["erasure"] = api.delete("/me", as_=eve).json["id"]
    return users, names
