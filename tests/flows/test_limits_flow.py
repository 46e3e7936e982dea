"""Issue 16's "done means", under the local runtime with its default limits: a script with a valid
token posting 200 times in a minute gets 429s with Retry-After after the documented limit (10 a
minute), and nothing it sent within the limit is lost.

The limits' clock is held still 5 s into a minute (``tests.support.limits.frozen_clock``), so the
200 posts fall in one minute however long the machine takes to send them, and "after Retry-After"
does not mean waiting a minute."""

from __future__ import annotations

import pytest

from tests.support.flows import create_event, member_token
from tests.support.limits import frozen_clock
from tests.support.runtime import http, local_runtime

pytestmark = pytest.mark.flow


def test_a_script_posting_200_times_in_a_minute(monkeypatch):
    clock = frozen_clock(monkeypatch, 1_800_000_000 + 5)
    with local_runtime(demo=False) as (runtime, base):
        organiser = member_token(runtime, "limits_olga", organiser=True)
        event = create_event(base, organiser, "Limits Camp", "limitscamp", visibility="public").json
        script = member_token(runtime, "limits_script")
        url = f"{base}/events/{event['id']}/posts"

        def send(n: int):
            return http("POST", url, token=script, json_body={"text": f"script post {n}"})

        replies = [send(n) for n in range(200)]
        assert [r.status for r in replies] == [201] * 10 + [429] * 190
        for refused in replies[10:]:
            assert refused.headers["retry-after"] == "55"
            assert refused.headers["content-type"] == "application/problem+json"
            assert (refused.json["limit"], refused.json["rate"], refused.json["window"]) == ("posts", 10, 60)

        runtime.pumps.drain()
        feed = http("GET", f"{url}?limit=100").json["items"]
        assert sorted(p["id"] for p in feed) == sorted(r.json["id"] for r in replies[:10])

        clock.now += 55  # the script waits as told, then goes on
        assert send(10).status == 201
        texts = {p["text"] for p in http("GET", f"{url}?limit=100").json["items"]}
        assert texts == {f"script post {n}" for n in range(11)}
