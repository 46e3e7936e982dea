"""``/_local/schedules``: the local receivers' origin serves the sample schedules and documents put
there, so that a schedule can be imported by URL under ``make run``; everything else on that port is
still the webhook receiver."""

from __future__ import annotations

from werkzeug.test import Client

from local.schedule_files import SAMPLES, ScheduleFiles, with_schedule_files
from local.webhook_receiver import WebhookReceiver


def test_the_receivers_port_serves_samples_and_documents_put_there_beside_the_webhooks():
    client = Client(with_schedule_files(WebhookReceiver(), ScheduleFiles()))
    listed = client.get("/_local/schedules").json["items"]
    assert {"pretalx_schedule.json", "frab_schedule.xml", "dst_berlin.ics"} <= set(listed)
    sample = client.get("/_local/schedules/pretalx_schedule.json")
    assert sample.status_code == 200 and sample.headers["content-type"] == "application/json; charset=utf-8"
    assert sample.data == (SAMPLES / "pretalx_schedule.json").read_bytes()

    assert client.put("/_local/schedules/mine.ics", data=b"BEGIN:VCALENDAR").status_code == 204
    mine = client.get("/_local/schedules/mine.ics")
    assert (mine.data, mine.headers["content-type"]) == (b"BEGIN:VCALENDAR", "text/calendar; charset=utf-8")
    assert client.delete("/_local/schedules/mine.ics").status_code == 204
    assert client.get("/_local/schedules/mine.ics").status_code == 404
    assert client.get("/_local/schedules/..%2Ftemplate.yaml").status_code == 404  # names only, no paths

    assert client.post("/_local/webhooks/alice", json={"x": 1}).status_code == 204  # still the receiver
    assert client.get("/_local/webhooks/alice").json["unique"] == 1
