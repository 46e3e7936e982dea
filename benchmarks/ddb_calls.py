"""DynamoDB calls per API operation, counted through botocore's event hooks, beside the minimum.

One run, in-process: moto built from ``template.yaml`` (``local.provision.provision`` under
``moto.mock_aws()``), the real handlers called through ``tests.support.api.ApiClient`` exactly as the
integration tests call them (routing, JWT authorizer, each function's own environment). Every
operation is run twice in the same state and only the second call is counted, so one-time work
(a client, the caller's profile created on first use) is not charged to it; first use is counted on
its own rows.

How calls are counted: botocore emits ``before-call.<service>.<Operation>`` on a client's event
system once per API call (after parameter validation, before retries and before moto's own
``before-send`` hook answers it). The code under test reaches DynamoDB through three kinds of
client: PynamoDB's (from its own ``botocore.session.get_session()``, imported by name, so patching
that function would miss it), boto3's default session and Powertools idempotency's
``boto3.session.Session()``. All of them are made by ``botocore.session.Session.create_client``,
so that one method is wrapped to register a ``before-call.dynamodb`` handler on each new DynamoDB
client's ``meta.events``: the official hook, on every client, whoever created the session.

``minimum`` is written down per operation (see ``MINIMUM``): one call per item the operation must
read (GetItem) or per partition it must list (Query), plus its write (one TransactWriteItems when
several items must change atomically). Independent reads are not merged into a BatchGetItem there,
although DynamoDB would allow it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import platform
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from benchmarks.common import RESULTS_DIR, ROOT, add_json_option, finish, write_report
from tests.support.offline import offline_aws_env

RESULTS = RESULTS_DIR / "ddb_calls.md"


# ---------------------------------------------------------------------------------------------------
# the minimum each access pattern allows (one line of justification each)
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Minimum:
    calls: int
    why: str


MINIMUM: dict[str, Minimum] = {
    "POST /events": Minimum(1, "TransactWriteItems: hashtag claim + event + organiser membership"),
    "POST /events (Idempotency-Key)": Minimum(
        3, "the transaction + idempotency record PutItem (in progress) + UpdateItem (completed)"
    ),
    "POST /events (same key again)": Minimum(
        1, "the idempotency PutItem fails and returns the stored record (ReturnValuesOnConditionCheckFailure)"
    ),
    "GET /events": Minimum(1, "Query gsi1 PUBLIC#EVENTS"),
    "GET /events/{id} (public, anonymous)": Minimum(1, "GetItem event"),
    "GET /events/{id} (public, with a token)": Minimum(
        1, "GetItem event; roles only matter for private events"
    ),
    "GET /events/{id} (private, attendee)": Minimum(2, "GetItem event + GetItem membership"),
    "PATCH /events/{id} (name)": Minimum(
        3, "event (version, response) + membership (organiser?) + conditional write"
    ),
    "POST /events/{id}/organisers": Minimum(
        4, "event + caller's membership + target member exists + UpdateItem ADD role"
    ),
    "POST /events/{id}/sessions": Minimum(3, "event (dates) + membership (organiser?) + TransactWriteItems"),
    "GET /events/{id}/sessions": Minimum(2, "event (visibility) + Query gsi1 EVENT#id#SESSIONS"),
    "GET /sessions/{id}": Minimum(2, "session + its event (visibility)"),
    "PATCH /sessions/{id}": Minimum(
        4, "session + event (dates) + membership (organiser?) + TransactWriteItems"
    ),
    "DELETE /sessions/{id}": Minimum(4, "session + event + membership (organiser?) + TransactWriteItems"),
    "GET /me": Minimum(1, "GetItem member"),
    "GET /me (first use)": Minimum(2, "GetItem member (absent) + PutItem if absent"),
    "PATCH /me (bio)": Minimum(2, "member (version) + conditional write"),
    "GET /me/events": Minimum(2, "Query gsi1 MEMBER#id#EVENTS + BatchGetItem events"),
    "POST /events/{id}/attendance": Minimum(
        2, "event (visibility) + UpdateItem ADD attendee; the profile exists after first use"
    ),
    "DELETE /events/{id}/attendance": Minimum(
        2,
        "conditional UpdateItem DELETE role (fails if not attending) + DeleteItem of the emptied membership",
    ),
    "POST /events/{id}/posts (#hashtag)": Minimum(
        5,
        "event (visibility, window) + mute (moderation) + session-tag claims BatchGetItem + member "
        "(author name) + PutItem",
    ),
    "POST /events/{id}/posts (first post of a new member)": Minimum(
        6, "as above + PutItem of the profile created on first use"
    ),
    "GET /events/{id}/posts": Minimum(
        5, "event (visibility, feedShards) + one Query per feed shard (gsi1 EVENT#id#POSTS#n; 4 by default)"
    ),
    "GET /sessions/{id}/posts": Minimum(
        6, "session + event (visibility, feedShards) + one Query per shard (gsi2 SESSION#id#POSTS#n)"
    ),
    "DELETE /posts/{id} (author)": Minimum(2, "post (author) + DeleteItem"),
    "POST /sessions/{id}/notes (public)": Minimum(
        5,
        "session + event (window) + mute (moderation) + member (author name) + PutItem; membership only "
        "for 'attendees'",
    ),
    "GET /notes/{id} (public, anonymous)": Minimum(2, "note + event (visibility)"),
    "PUT /notes/{id} (author)": Minimum(2, "note (author, version) + conditional PutItem"),
    "DELETE /notes/{id} (author)": Minimum(2, "note (author) + DeleteItem"),
    "GET /sessions/{id}/notes (anonymous)": Minimum(3, "session + event + Query the public partition"),
    "GET /sessions/{id}/notes (attendee)": Minimum(
        6, "session + event + membership + Query public, attendees and own private partitions"
    ),
    "GET /me/notes": Minimum(1, "Query gsi2 MEMBER#id#NOTES"),
    "PUT /sessions/{id}/summary (draft)": Minimum(
        5, "session + event + membership (organiser?) + Query latest version + PutItem draft"
    ),
    "PUT /sessions/{id}/summary (publish)": Minimum(
        5, "session + event + membership + Query latest version + TransactWriteItems (version, drop draft)"
    ),
    "GET /sessions/{id}/summary": Minimum(3, "session + event (visibility) + Query latest version"),
    "GET /sessions/{id}/summary/versions": Minimum(3, "session + event (visibility) + Query versions"),
}

# A writing route first counts the request against the caller's fair limit (core.limits): one
# conditional UpdateItem of a counter in the idempotency table. A replay answered from the
# idempotency record never reaches the route, so it is not counted.
RATE_LIMIT = "; + UpdateItem of the caller's rate-limit counter"
for _operation, _minimum in list(MINIMUM.items()):
    if _operation.split()[0] != "GET" and "same key again" not in _operation:
        MINIMUM[_operation] = Minimum(_minimum.calls + 1, _minimum.why + RATE_LIMIT)


# Where an operation does more than its minimum, and which code path does it (checked by hand
# against the observed call order; shown only while the excess is there).
WHY: dict[str, str] = {
    "GET /events/{id} (public, with a token)": (
        "`conference.rules.visible_event` reads the caller's membership whenever a caller is known, even "
        "for a public event where `can_view` does not need it."
    ),
    "PATCH /sessions/{id}": (
        "`conference.rules.organised_session` calls `visible_session` (session, event, membership) and then "
        "`organised_event`, which calls `visible_event` again: the event and the membership are read twice."
    ),
    "DELETE /sessions/{id}": "as PATCH /sessions/{id}: `organised_session` reads event and membership twice.",
    "POST /events/{id}/attendance": (
        "`conference.members.join_event` calls `ensure_member` (GetItem member) on every join: joining is an "
        "authenticated use, and the profile is created on the first one."
    ),
    "DELETE /events/{id}/attendance": (
        "`conference.members.leave_event` reads the event (`visible_event`) so that an unknown or hidden event "
        "answers 404; the conditional update alone would answer 204 for any id."
    ),
    "POST /events/{id}/posts (#hashtag)": (
        "`capture.rules.writable_event` -> `visible_event` reads the caller's membership, which a "
        "public event does not need."
    ),
    "POST /events/{id}/posts (first post of a new member)": "as POST /events/{id}/posts (#hashtag).",
    "DELETE /posts/{id} (author)": (
        "`capture.rules.visible_post` reads the event and the membership (`visible_event`) before the "
        "author check, which needs only the post."
    ),
    "POST /sessions/{id}/notes (public)": (
        "`capture.rules.create_note` calls `visible_session` (session, event, membership) and then "
        "`writable_event` -> `visible_event` (event, membership again)."
    ),
    "PUT /notes/{id} (author)": (
        "`capture.rules.replace_note` -> `visible_note` reads event + membership, and `_check_audience` "
        "reads the membership once more (`store.get_membership`), even when the note is not for attendees."
    ),
    "DELETE /notes/{id} (author)": (
        "`capture.rules.delete_note` -> `visible_note` reads event + membership before the author check."
    ),
    "GET /sessions/{id}/notes (attendee)": (
        "`capture.rules.session_notes` calls `visible_session` (which reads the membership) and then "
        "`store.get_membership` again."
    ),
    "PUT /sessions/{id}/summary (draft)": (
        "`capture.rules.put_summary` calls `visible_session` (reads the membership) and then "
        "`store.get_membership` again."
    ),
    "PUT /sessions/{id}/summary (publish)": "as the draft: the membership is read twice.",
}


# ---------------------------------------------------------------------------------------------------
# counting
# ---------------------------------------------------------------------------------------------------
@dataclass
class Call:
    operation: str
    table: str
    size: int | None = None  # items in a transaction or batch

    def label(self, tables: dict[str, str]) -> str:
        text = self.operation
        if self.size is not None:
            text += f"[{self.size}]"
        short = tables.get(self.table)
        return f"{short}:{text}" if short else text


@dataclass
class Recorder:
    """Collects the DynamoDB calls made while :meth:`recording`."""

    calls: list[Call] = field(default_factory=list)
    active: bool = False

    def before_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        """``before-call`` handler: ``params`` is the serialised request; DynamoDB's body is JSON."""
        if not self.active:
            return
        body = params.get("body") or b"{}"
        request = json.loads(body.decode() if isinstance(body, bytes) else body)
        table, size = request.get("TableName") or "", None
        if "TransactItems" in request:
            items = request["TransactItems"]
            size = len(items)
            table = next(iter(items[0].values()), {}).get("TableName", "") if items else ""
        elif "RequestItems" in request:
            requests = request["RequestItems"]
            table = next(iter(requests), "")
            size = sum(len(v["Keys"]) if isinstance(v, dict) else len(v) for v in requests.values())
        self.calls.append(Call(model.name, table, size))

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Call]]:
        self.calls = []
        self.active = True
        try:
            yield self.calls
        finally:
            self.active = False


def install(recorder: Recorder) -> Callable[[], None]:
    """Register ``recorder`` on every DynamoDB client created from now on; returns the undo."""
    import botocore.session

    original = botocore.session.Session.create_client

    def create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = original(self, service_name, *args, **kwargs)
        if client.meta.service_model.service_name == "dynamodb":
            client.meta.events.register("before-call.dynamodb", recorder.before_call)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]

    def undo() -> None:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]

    return undo


# ---------------------------------------------------------------------------------------------------
# the scenario: every route, warm, in a realistic state
# ---------------------------------------------------------------------------------------------------
@dataclass
class Row:
    operation: str
    calls: list[Call]
    minimum: Minimum

    @property
    def excess(self) -> int:
        return len(self.calls) - self.minimum.calls


class Scenario:
    """An organiser, an attendee and a co-organiser-to-be, with a public and a private event."""

    def __init__(self, api: Any, recorder: Recorder) -> None:
        self.api = api
        self.recorder = recorder
        self.rows: list[Row] = []
        self.covered: set[str] = set()  # route keys the measured calls went through
        self.start = dt.date.today() + dt.timedelta(days=10)
        self.olga = api.user("bench_olga", organiser=True)
        self.ana = api.user("bench_ana")
        self.cora = api.user("bench_cora")
        self.newbies = iter(api.user(f"bench_new{i}") for i in range(2))
        for user in (self.olga, self.ana, self.cora):
            self.ok(api.get("/me", as_=user))  # profiles exist: first use is measured on its own
        self.public = self.new_event("benchpub", "public")
        self.private = self.new_event("benchpriv", "private")
        self.ok(api.post(f"/events/{self.public}/attendance", {}, as_=self.ana))
        self.ok(api.post(f"/events/{self.private}/attendance", {"memberId": self.ana.sub}, as_=self.olga))
        self.session = self.new_session(self.public, "Keynote", "keynote", 9)
        self.posts = [
            self.ok(api.post(f"/events/{self.public}/posts", {"text": f"post {i} #keynote"}, as_=self.ana))[
                "id"
            ]
            for i in range(5)
        ]
        self.notes = {
            v: self.ok(
                api.post(
                    f"/sessions/{self.session}/notes", {"body": f"{v} note", "visibility": v}, as_=self.ana
                )
            )["id"]
            for v in ("public", "attendees", "private")
        }
        self.ok(
            api.request(
                "PUT",
                f"/sessions/{self.session}/summary",
                json_body={"body": "v1", "status": "published"},
                as_=self.olga,
            )
        )

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def ok(reply: Any) -> Any:
        if not 200 <= reply.status < 300:
            raise RuntimeError(f"{reply.event.get('routeKey')}: {reply.status} {reply.body[:300]!r}")
        return reply.json

    def new_event(self, hashtag: str, visibility: str = "public", key: str | None = None) -> str:
        body = {
            "name": f"Bench {hashtag}",
            "hashtag": hashtag,
            "startsOn": str(self.start),
            "endsOn": str(self.start + dt.timedelta(days=2)),
            "timezone": "Europe/Berlin",
            "visibility": visibility,
        }
        headers = {"Idempotency-Key": key} if key else None
        return self.ok(self.api.post("/events", body, as_=self.olga, headers=headers))["id"]

    def new_session(self, event_id: str, title: str, hashtag: str | None, hour: int) -> str:
        body = {
            "title": title,
            "startsAt": f"{self.start}T{hour:02d}:00:00+01:00",
            "endsAt": f"{self.start}T{hour:02d}:45:00+01:00",
            **({"hashtag": hashtag} if hashtag else {}),
        }
        return self.ok(self.api.post(f"/events/{event_id}/sessions", body, as_=self.olga))["id"]

    def measure(self, operation: str, action: Callable[[int], Any], *, warm: bool = True) -> None:
        """Run ``action(0)`` uncounted (unless ``warm`` is False), then count ``action(1)``."""
        if warm:
            action(0)
        seen = len(self.api.invocations)
        with self.recorder.recording() as calls:
            action(1)
        self.covered.update(event.get("routeKey") for _, event in self.api.invocations[seen:])
        self.rows.append(Row(operation, list(calls), MINIMUM[operation]))

    # -- the operations --------------------------------------------------------------------------
    def run(self) -> list[Row]:
        api, olga, ana, cora = self.api, self.olga, self.ana, self.cora
        pub, priv, session = self.public, self.private, self.session
        ok = self.ok

        self.measure("POST /events", lambda n: self.new_event(f"benchnew{n}"))
        self.measure(
            "POST /events (Idempotency-Key)", lambda n: self.new_event(f"benchkey{n}", key=f"bench-{n}")
        )
        self.measure("POST /events (same key again)", lambda n: self.new_event("benchkey1", key="bench-1"))
        self.measure("GET /events", lambda n: ok(api.get("/events")))
        self.measure("GET /events/{id} (public, anonymous)", lambda n: ok(api.get(f"/events/{pub}")))
        self.measure(
            "GET /events/{id} (public, with a token)", lambda n: ok(api.get(f"/events/{pub}", as_=ana))
        )
        self.measure(
            "GET /events/{id} (private, attendee)", lambda n: ok(api.get(f"/events/{priv}", as_=ana))
        )
        self.measure(
            "PATCH /events/{id} (name)",
            lambda n: ok(api.patch(f"/events/{pub}", {"name": f"Bench {n}"}, as_=olga)),
        )
        cora_second = api.user("bench_cora2")
        ok(api.get("/me", as_=cora_second))
        self.measure(
            "POST /events/{id}/organisers",
            lambda n: ok(
                api.post(f"/events/{pub}/organisers", {"memberId": (cora, cora_second)[n].sub}, as_=olga)
            ),
        )
        extra_sessions: list[str] = []
        self.measure(
            "POST /events/{id}/sessions",
            lambda n: extra_sessions.append(self.new_session(pub, f"Talk {n}", f"talk{n}", 11 + n)),
        )
        self.measure("GET /events/{id}/sessions", lambda n: ok(api.get(f"/events/{pub}/sessions")))
        self.measure("GET /sessions/{id}", lambda n: ok(api.get(f"/sessions/{session}")))
        self.measure(
            "PATCH /sessions/{id}",
            lambda n: ok(api.patch(f"/sessions/{extra_sessions[0]}", {"room": f"Room {n}"}, as_=olga)),
        )
        self.measure(
            "DELETE /sessions/{id}", lambda n: ok(api.delete(f"/sessions/{extra_sessions[n]}", as_=olga))
        )

        self.measure("GET /me", lambda n: ok(api.get("/me", as_=ana)))
        self.measure("GET /me (first use)", lambda n: ok(api.get("/me", as_=next(self.newbies))), warm=False)
        self.measure("PATCH /me (bio)", lambda n: ok(api.patch("/me", {"bio": f"bio {n}"}, as_=ana)))
        self.measure("GET /me/events", lambda n: ok(api.get("/me/events", as_=ana)))
        joiners = [api.user(f"bench_joiner{i}") for i in range(2)]
        for joiner in joiners:
            ok(api.get("/me", as_=joiner))
        self.measure(
            "POST /events/{id}/attendance",
            lambda n: ok(api.post(f"/events/{pub}/attendance", {}, as_=joiners[n])),
        )
        self.measure(
            "DELETE /events/{id}/attendance",
            lambda n: api.delete(f"/events/{pub}/attendance", as_=joiners[n]),
        )

        self.measure(
            "POST /events/{id}/posts (#hashtag)",
            lambda n: ok(api.post(f"/events/{pub}/posts", {"text": f"measured {n} #keynote"}, as_=ana)),
        )
        newbie = next(self.newbies)
        self.measure(
            "POST /events/{id}/posts (first post of a new member)",
            lambda n: ok(api.post(f"/events/{pub}/posts", {"text": "hello #keynote"}, as_=newbie)),
            warm=False,
        )
        self.measure("GET /events/{id}/posts", lambda n: ok(api.get(f"/events/{pub}/posts")))
        self.measure("GET /sessions/{id}/posts", lambda n: ok(api.get(f"/sessions/{session}/posts")))
        self.measure("DELETE /posts/{id} (author)", lambda n: api.delete(f"/posts/{self.posts[n]}", as_=ana))

        self.measure(
            "POST /sessions/{id}/notes (public)",
            lambda n: ok(
                api.post(f"/sessions/{session}/notes", {"body": f"more {n}", "visibility": "public"}, as_=ana)
            ),
        )
        public_note = self.notes["public"]
        self.measure("GET /notes/{id} (public, anonymous)", lambda n: ok(api.get(f"/notes/{public_note}")))
        etag = {"now": api.get(f"/notes/{public_note}").headers["etag"]}

        def edit(n: int) -> Any:
            reply = api.request(
                "PUT",
                f"/notes/{public_note}",
                json_body={"body": f"edited {n}", "visibility": "public"},
                headers={"If-Match": etag["now"]},
                as_=ana,
            )
            etag["now"] = reply.headers.get("etag", "")
            return ok(reply)

        self.measure("PUT /notes/{id} (author)", edit)
        doomed = [self.notes["attendees"], self.notes["private"]]
        self.measure("DELETE /notes/{id} (author)", lambda n: api.delete(f"/notes/{doomed[n]}", as_=ana))
        self.measure(
            "GET /sessions/{id}/notes (anonymous)", lambda n: ok(api.get(f"/sessions/{session}/notes"))
        )
        self.measure(
            "GET /sessions/{id}/notes (attendee)",
            lambda n: ok(api.get(f"/sessions/{session}/notes", as_=ana)),
        )
        self.measure("GET /me/notes", lambda n: ok(api.get("/me/notes", as_=ana)))

        def summary(status: str, n: int) -> Any:
            body = {"body": f"{status} {n}", "status": status}
            return ok(api.request("PUT", f"/sessions/{session}/summary", json_body=body, as_=olga))

        self.measure("PUT /sessions/{id}/summary (draft)", lambda n: summary("draft", n))
        self.measure("PUT /sessions/{id}/summary (publish)", lambda n: summary("published", n))
        self.measure("GET /sessions/{id}/summary", lambda n: ok(api.get(f"/sessions/{session}/summary")))
        self.measure(
            "GET /sessions/{id}/summary/versions",
            lambda n: ok(api.get(f"/sessions/{session}/summary/versions")),
        )
        return self.rows


# ---------------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------------
def _breakdown(calls: list[Call], tables: dict[str, str]) -> str:
    """Calls in order, runs of the same call folded: ``2 GetItem, Query, PutItem``."""
    out: list[tuple[str, int]] = []
    for call in calls:
        label = call.label(tables)
        if out and out[-1][0] == label:
            out[-1] = (label, out[-1][1] + 1)
        else:
            out.append((label, 1))
    return ", ".join(f"{n} {label}" if n > 1 else label for label, n in out) or "none"


def report(rows: list[Row], tables: dict[str, str], unmeasured: list[str] = ()) -> str:
    total = sum(len(r.calls) for r in rows)
    floor = sum(r.minimum.calls for r in rows)
    lines = [
        "# DynamoDB calls per API operation",
        "",
        f"Python {platform.python_version()}, in-process moto from `template.yaml`, the real handlers. "
        "Each operation is run twice in the same state and the second call is counted (warm); the rows "
        "about a new member's first use are counted on their first call. `idem:` is the idempotency table; `[n]` the items "
        "of a transaction or batch. Calls in the order made.",
        "",
        "| operation | calls | breakdown (observed, in order) | minimum | minimum: why | excess |",
        "|---|---:|---|---:|---|---:|",
    ]
    for r in rows:
        excess = f"**+{r.excess}**" if r.excess > 0 else str(r.excess)
        lines.append(
            f"| `{r.operation}` | {len(r.calls)} | {_breakdown(r.calls, tables)} | {r.minimum.calls} "
            f"| {r.minimum.why} | {excess} |"
        )
    lines += [
        f"| **total** | **{total}** | | **{floor}** | | **+{total - floor}** |",
        "",
        "Minimum: one call per item the operation must read (GetItem) or per partition it must list "
        "(Query), plus its write (one TransactWriteItems when several items change together). Independent "
        "reads are not merged into a BatchGetItem, though DynamoDB would allow it.",
    ]
    over = [r for r in rows if r.excess > 0]
    if over:
        lines += ["", "## Where the excess comes from", ""]
        for r in over:
            lines.append(f"- `{r.operation}` (+{r.excess}): {WHY.get(r.operation, 'not yet explained.')}")
    if unmeasured:
        lines += [
            "",
            "Routes of `template.yaml` not measured yet: " + ", ".join(f"`{r}`" for r in unmeasured),
        ]
    under = [r for r in rows if r.excess < 0]
    if under:
        lines += [
            "",
            "Below the written minimum (the minimum is out of date): "
            + ", ".join(r.operation for r in under),
        ]
    return "\n".join(lines) + "\n"


def run() -> tuple[list[Row], dict[str, str], list[str]]:
    offline_aws_env()  # before any project module (or boto3 client) exists
    for path in (ROOT / "layers" / "backchannel", ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    import logging

    logging.disable(logging.WARNING)  # the handlers' own logs are not the point here
    from moto import mock_aws

    from local.provision import provision
    from tests.support.api import ApiClient

    recorder = Recorder()
    undo = install(recorder)
    try:
        with mock_aws():
            stack = provision(str(ROOT / "template.yaml"), endpoint_url=None)
            tables = {stack.outputs["IdempotencyTableName"]: "idem"}
            api = ApiClient(stack)
            try:
                # the handlers print their metrics (EMF) to stdout, as in Lambda: not wanted here
                with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    scenario = Scenario(api, recorder)
                    rows = scenario.run()
                unmeasured = sorted({r.route_key for r in api.routes.routes} - scenario.covered)
            finally:
                api.close()
    finally:
        undo()
        logging.disable(logging.NOTSET)
    return rows, tables, unmeasured


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks ddb-calls", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--max-excess", type=int, default=None, help="exit 1 if any operation exceeds its minimum by more"
    )
    add_json_option(parser)
    args = parser.parse_args(argv)
    rows, tables, unmeasured = run()
    text = report(rows, tables, unmeasured)
    write_report(text, RESULTS)
    worst = max((r.excess for r in rows), default=0)
    figures = {
        "benchmark": "ddb-calls",
        "calls": sum(len(r.calls) for r in rows),
        "minimum": sum(r.minimum.calls for r in rows),
        "excess": {r.operation: r.excess for r in rows if r.excess},
        "worst_excess": worst,
        "budget_max_excess": args.max_excess,
        "unmeasured_routes": len(unmeasured),
        "pass": args.max_excess is None or worst <= args.max_excess,
    }
    return finish(figures, as_json=args.json)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
