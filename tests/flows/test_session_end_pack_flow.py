"""A session's end builds its pack by itself under the local runtime: the packs worker schedules a
one-time EventBridge Scheduler schedule at the end plus the grace period, the local pumps fire it, and
the pack is built from what was shared (the grace period is 0 here, so the test needs no waiting)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.support.flows import attend, create_event, create_note, create_session, member_token
from tests.support.runtime import http, local_runtime

pytestmark = pytest.mark.flow


def test_a_session_that_ends_gets_its_pack_built_and_a_withdrawn_note_leaves_it():
    with local_runtime(demo=False, parameters={"PackGracePeriodMinutes": "0"}) as (runtime, base):
        organiser = member_token(runtime, "end_olga", organiser=True)
        alice = member_token(runtime, "end_alice")
        today = dt.datetime.now(dt.UTC)
        event = create_event(base, organiser, "Ends Soon", "endssoon", starts_on=today.date(), days=2).json
        ends = today + dt.timedelta(seconds=6)
        starts = today - dt.timedelta(minutes=5)
        session = create_session(
            base, organiser, event["id"], "Lightning talk", starts.isoformat(), ends.isoformat()
        ).json
        attend(base, alice, event["id"])
        note = create_note(base, alice, session["id"], "Withdraw me later: learning out loud", "public")

        def ready_pack():
            found = http("GET", f"{base}/sessions/{session['id']}/packs").json["items"]
            return next((p for p in found if p["status"] == "ready"), None)

        deadline = time.monotonic() + 60
        while ready_pack() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        pack = ready_pack()
        assert pack is not None, "no pack was built after the session ended"

        def markdown() -> str:
            # the organiser reads the newest build (the redirect is followed)
            r = http("GET", f"{base}/packs/{pack['id']}/download?format=md", token=organiser)
            assert r.status == 200, r.status
            return r.body.decode()

        assert "learning out loud" in markdown()

        # the author withdraws the note: the pack is rebuilt without it
        http(
            "PUT",
            f"{base}/notes/{note.json['id']}",
            token=alice,
            headers={"If-Match": note.headers["etag"]},
            json_body={"body": "Withdraw me later: learning out loud", "visibility": "private"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            current = http("GET", f"{base}/packs/{pack['id']}").json
            if current["status"] == "ready" and current["version"] > pack["version"]:
                break
            time.sleep(0.5)
        assert current["version"] > pack["version"], current
        assert "learning out loud" not in markdown()
