"""Packs end to end through the local runtime: an organiser asks for a session's pack over HTTP, the
pumps carry PackRequested from the bus through the packs queue to the compile worker, the pack turns
ready, and its download redirect leads to the file in the local S3."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.flows import create_event, create_session, member_token
from tests.support.runtime import http

pytestmark = pytest.mark.flow


def test_a_session_pack_is_requested_built_and_downloaded(stack):
    runtime, base = stack
    organiser = member_token(runtime, "packs_olga", organiser=True)
    start = dt.date.today() + dt.timedelta(days=1)
    event_id = create_event(
        base, organiser, "Pack Camp", "packcamp", starts_on=start, visibility="public"
    ).json["id"]
    session = create_session(
        base, organiser, event_id, "Packed keynote", f"{start}T09:00:00Z", f"{start}T10:00:00Z"
    )
    session_id = session.json["id"]

    r = http("POST", f"{base}/sessions/{session_id}/packs", token=organiser)
    assert r.status == 202, r.body
    pack_id = r.json["id"]
    assert r.json["status"] == "queued"
    runtime.pumps.drain()

    r = http("GET", f"{base}/packs/{pack_id}", token=organiser)
    assert r.status == 200, r.body
    assert r.json["status"] == "ready", r.json
    assert r.json["readyVersion"] == 1
    # the organiser reads the build; urllib follows the 302 to the presigned URL of the local S3
    r = http("GET", f"{base}/packs/{pack_id}/download?format=html", token=organiser)
    assert r.status == 200, r.body
    assert b"Packed keynote" in r.body
    # everyone else reads it once it is published: its circulated edition
    assert http("GET", f"{base}/packs/{pack_id}/download?format=html").status == 409
    assert http("POST", f"{base}/packs/{pack_id}/publish", token=organiser).status == 202
    runtime.pumps.drain()
    r = http("GET", f"{base}/packs/{pack_id}/download?format=html")
    assert r.status == 200, r.body
    assert b"Packed keynote" in r.body
