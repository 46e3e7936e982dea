"""Every sample event in events/ is a valid input of its function (they also serve `sam local invoke`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLES = sorted(p for p in EVENTS.rglob("*.json"))


def test_every_function_has_samples(aws):
    dirs = {spec.code_uri.name for spec in aws.functions.values()}
    assert dirs <= {p.parent.name for p in SAMPLES}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_event_is_handled_without_a_server_error(api, aws, sample):
    by_dir = {spec.code_uri.name: logical for logical, spec in aws.functions.items()}
    event = json.loads(sample.read_text())
    result = api.invoke(by_dir[sample.parent.name], event)
    if "Records" in event:  # a batch source: nothing in the sample may fail
        assert result == {"batchItemFailures": []}
        return
    assert result["statusCode"] < 500, result
    body = json.loads(result["body"]) if result["body"] else {}
    if result["statusCode"] >= 400:
        assert result["headers"]["Content-Type"] == "application/problem+json"
        assert body["status"] == result["statusCode"]
