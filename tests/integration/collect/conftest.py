"""Fixtures of the collect tests: the local fake networks on a port of their own, an event happening
today with a #WOL session, and helpers to publish upstream, add a source and run one cycle."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from local.fake_networks import BLUESKY, MASTODON, FakeNetworks
from tests.integration.conftest import future_event, session_body


class Fakes:
    def __init__(self, networks: FakeNetworks, url: str) -> None:
        self.networks, self.url = networks, url
        self.mastodon = f"{url}{MASTODON}"
        self.bluesky = f"{url}{BLUESKY}"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeNetworks, str]]:
    networks = FakeNetworks()

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        fake = networks.mastodon if path.startswith(MASTODON) else networks.bluesky
        return fake(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield networks, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def fakes(served, aws) -> Fakes:
    """Fresh fakes, and the collect functions allowed to call them (as the local runtime's list does)."""
    networks, url = served
    networks.mastodon.__init__()
    networks.bluesky.__init__()
    for name in ("CollectApiFunction", "CollectWorkerFunction", "PacksWorkerFunction"):
        aws.functions[name].environment["OUTBOUND_ALLOW_LIST"] = url
    return Fakes(networks, url)


@pytest.fixture
def event(api, olga):
    today = dt.date.today()
    body = future_event(hashtag="LAWW26", startsOn=today.isoformat(), endsOn=today.isoformat())
    r = api.post("/events", body, as_=olga)
    assert r.status == 201, r
    return r.json


@pytest.fixture
def session(api, olga, event):
    r = api.post(f"/events/{event['id']}/sessions", session_body(event, hashtag="WOL"), as_=olga)
    assert r.status == 201, r
    return r.json


def publish(fakes: Fakes, text: str, username: str = "ada", **account) -> str:
    from urllib.request import Request, urlopen

    body = {"text": text, "account": {"username": username, "displayName": username.title(), **account}}
    request = Request(
        f"{fakes.mastodon}/statuses",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urlopen(request, timeout=5) as answer:
        return json.load(answer)["id"]


def source(api, olga, event, fakes: Fakes, **extra) -> dict:
    r = api.post(
        f"/events/{event['id']}/sources", {"type": "mastodon", "instance": fakes.mastodon, **extra}, as_=olga
    )
    assert r.status == 201, r
    return r.json


def cycle(api, event, src) -> dict:
    """One collection cycle, as the schedule or the sync route's message starts it."""
    body = {
        "source": "backchannel.collect",
        "detail-type": "CollectDue",
        "detail": {"eventId": event["id"], "sourceId": src["id"]},
    }
    record = {
        "messageId": "m-1",
        "receiptHandle": "h-1",
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:collect",
        "awsRegion": "us-east-1",
    }
    assert api.invoke("CollectWorkerFunction", {"Records": [record]}) == {"batchItemFailures": []}
    return status_of(api, event, src)


def status_of(api, event, src) -> dict:
    olga = api._olga
    listed = api.get(f"/events/{event['id']}/sources", as_=olga)
    assert listed.status == 200, listed
    return next(s for s in listed.json["items"] if s["id"] == src["id"])


def posts(api, path: str) -> list[dict]:
    r = api.get(path, query={"limit": 100})
    assert r.status == 200, r
    return r.json["items"]


@pytest.fixture(autouse=True)
def _remember_olga(api, olga):
    api._olga = olga
