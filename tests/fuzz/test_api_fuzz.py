"""The API fuzzer: schemathesis against the whole local runtime, from its own ``openapi.json``.

One runtime (moto, gateway, pumps) serves three runs of ``st run``, one per caller: anonymous, a member
and an organiser. Each run must find nothing:

- no 5xx (``not_a_server_error``);
- every status, content type, body and documented header as ``openapi.json`` says
  (``status_code_conformance``, ``content_type_conformance``, ``response_schema_conformance``,
  ``response_headers_conformance``);
- schema-violating requests refused with a 4xx (``negative_data_rejection``);
- and no response, to anyone, carries another member's private data: before the runs, ``nadia`` writes
  a private note, posts in a private event and adds an email channel, all holding :data:`MARKER`,
  which must appear in no response body of any run.

Bounded and repeatable: a fixed seed, deterministic generation, no shrinking, a few examples per
operation (:data:`EXAMPLES`). ``FUZZ_EXAMPLES=50 FUZZ_PHASES=examples,coverage,fuzzing,stateful`` runs it
wider; the README says how long each takes.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.flows import create_event, create_note, create_post, create_session, member_token
from tests.support.runtime import http, local_runtime

pytestmark = pytest.mark.fuzz

MARKER = "nadia-private-7f3c9e"  # nothing public ever says this
ROLES = ("anonymous", "member", "organiser")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing")
SEED = int(os.environ.get("FUZZ_SEED", "20261202"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
)
ST = Path(sys.executable).with_name("st")


def _seed_private_data(runtime, base: str) -> None:
    """Another member's private things, each holding MARKER."""
    nadia = member_token(runtime, "nadia")
    olive = member_token(runtime, "olive", organiser=True)
    event = create_event(base, olive, f"Closed {MARKER}", "closedcamp", visibility="private").json
    start = f"{event['startsOn']}T09:00:00Z"
    session = create_session(
        base, olive, event["id"], f"Closed talk {MARKER}", start, start[:11] + "10:00:00Z"
    )
    nadia_id = http("GET", f"{base}/me", token=nadia).json["id"]
    added = http(
        "POST", f"{base}/events/{event['id']}/attendance", token=olive, json_body={"memberId": nadia_id}
    )
    assert added.status == 201, added.body
    create_post(base, nadia, event["id"], f"private post {MARKER}")
    public = http("GET", f"{base}/events").json["items"][0]
    sessions = http("GET", f"{base}/events/{public['id']}/sessions").json["items"]
    create_note(base, nadia, sessions[0]["id"], f"my private note {MARKER}", "private")
    create_note(base, nadia, session.json["id"], f"attendees only {MARKER}", "attendees")
    channel = {"type": "email", "address": f"{MARKER}@example.org", "mode": "digest"}
    assert http("POST", f"{base}/me/channels", token=nadia, json_body=channel).status == 201


@pytest.fixture(scope="module")
def stack():
    # The fuzzer writes faster than a person: fair limits (tested in tests/integration/test_limits.py)
    # would answer most of its writes with a documented 429 and leave the routes behind them unexercised.
    from backchannel.core.limits import CLASSES

    unlimited = ",".join(f"{name}=1000000/1h" for name in CLASSES)
    with local_runtime(demo=True, parameters={"RateLimits": unlimited}) as (runtime, base):
        _seed_private_data(runtime, base)
        tokens = {
            "anonymous": None,
            "member": member_token(runtime, "fuzz-member"),
            "organiser": member_token(runtime, "fuzz-organiser", organiser=True),
        }
        yield base, tokens


def _command(base: str, token: str | None, report: Path) -> list[str]:
    command = [
        str(ST),
        "run",
        f"{base}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        PHASES,
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-deterministic",
        "--no-shrink",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        "--no-color",
    ]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    return command


def _responses(report: Path) -> list[tuple[str, str]]:
    """Every (request, response body) the run recorded."""
    seen = []
    for line in report.read_text(encoding="utf-8").splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        for interaction in (finished.get("recorder") or {}).get("interactions", {}).values():
            response = interaction.get("response") or {}
            content = response.get("content") or {}
            body = base64.b64decode(content["$base64"]) if "$base64" in content else b""
            request = interaction["request"]
            seen.append((f"{request['method']} {request['uri']}", body.decode("utf-8", "replace")))
    return seen


@pytest.mark.parametrize("role", ROLES)
def test_the_api_holds_to_its_document(stack, role, tmp_path):
    """One caller's run (the roles run one after another: the runtime is one process)."""
    base, tokens = stack
    report, log = tmp_path / f"{role}.ndjson", tmp_path / f"{role}.log"
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(  # noqa: S603 - our own st
            _command(base, tokens[role], report),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            timeout=900,
        )
    output = log.read_text(encoding="utf-8")
    assert done.returncode == 0, f"schemathesis as {role} found problems:\n{output[-8000:]}"
    responses = _responses(report)
    assert responses, f"schemathesis as {role} made no request\n{output[-3000:]}"
    leaks = [request for request, body in responses if MARKER in body]
    assert not leaks, f"another member's private data in answers to {role}: {leaks[:5]}"
