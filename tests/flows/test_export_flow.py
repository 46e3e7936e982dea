"""Export end to end through the local runtime: a member asks for their export over HTTP, the pumps
carry ExportRequested from the bus through the export queue to the worker, and the presigned link
downloads the zip from the local S3 (moto's server), as it would under ``make run``."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.support.flows import member_token
from tests.support.runtime import http

pytestmark = pytest.mark.flow


def test_a_member_exports_and_downloads_the_zip_from_the_local_s3(stack):
    runtime, base = stack
    token = member_token(runtime, "export_erin")
    assert http("GET", f"{base}/me", token=token).status == 200
    assert http("PATCH", f"{base}/me", json_body={"handle": "erin_flow"}, token=token).status == 200
    r = http("POST", f"{base}/me/export", token=token)
    assert r.status == 202, r.body
    runtime.pumps.drain()

    r = http("GET", f"{base}/me/exports/{r.json['id']}", token=token)
    assert (r.status, r.json["status"]) == (200, "ready"), r.body
    assert r.json["url"].startswith(runtime.outputs["AwsEndpoint"])  # the local moto server
    got = http("GET", r.json["url"])
    assert got.status == 200, got.body
    with zipfile.ZipFile(io.BytesIO(got.body)) as z:
        assert json.loads(z.read("export.json"))["profile"][0]["handle"] == "erin_flow"
