"""The schedule import worker, run here by the test (as the queue would, once per delivery): what an
organiser sees while it runs (status running, the stage, how many session changes are written), and
that an import is never left unfinished: a delivery while a live worker holds it takes nothing, a
worker that died is replaced once its lease runs out, an error on the last delivery fails the import,
and one that nobody finishes reads as failed after its deadline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.conference.schedule import rules
from backchannel.conference.schedule.dynamo import DynamoScheduleRepo
from backchannel.conference.schedule.jobs import ImportJobs
from backchannel.core.model import iso, utcnow
from tests.integration.conference.test_schedule_imports_api import queued
from tests.integration.conftest import future_event

SAMPLES = Path(__file__).parents[2] / "unit" / "conference" / "schedules"
PADDING = " " * (256 * 1024)  # over the size imported at once: the worker's


@pytest.fixture
def demo(api, olga):
    body = future_event(
        hashtag="demo26", startsOn="2026-03-28", endsOn="2026-03-29", timezone="Europe/Berlin"
    )
    return api.post("/events", body, as_=olga).json


@pytest.fixture
def worker_env(aws, data_table, monkeypatch):
    """The worker's settings, for running it here."""
    from backchannel.core import config

    monkeypatch.setenv("SCHEDULE_IMPORTS_BUCKET_NAME", aws.physical_id("ScheduleImportsBucket"))
    config.reset()
    yield
    config.reset()


def talks(n: int) -> str:
    """A schedule of ``n`` ten-minute talks from 08:00 on 28 March 2026 in Berlin, padded past 256 KiB."""
    start = dt.datetime(2026, 3, 28, 8, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    room = [
        {
            "guid": f"talk-{i}",
            "title": f"Talk {i}",
            "date": (start + dt.timedelta(minutes=10 * i)).isoformat(),
            "duration": "00:10",
        }
        for i in range(n)
    ]
    days = [{"date": "2026-03-28", "rooms": {"Saal 1": room}}]
    return json.dumps({"schedule": {"conference": {"days": days}}}) + PADDING


def run(import_id, repo=None, jobs=None, at=None):
    """One delivery of the import's message to the worker."""
    clock = (lambda: at) if at is not None else utcnow
    return rules.run_import(
        DynamoConferenceRepo(), repo or DynamoScheduleRepo(), jobs or ImportJobs(), import_id, clock=clock
    )


def test_a_running_import_shows_its_stage_and_progress_and_a_second_delivery_meanwhile_takes_nothing(
    api, demo, olga, worker_env
):
    record = queued(api, demo, {"content": talks(40)}, olga)
    path = f"/events/{demo['id']}/schedule-imports/{record['id']}"
    seen, second = [], []

    class Watched(DynamoScheduleRepo):
        def report(self, running):
            held = super().report(running)
            seen.append(api.get(path, as_=olga).json)  # what the organiser sees meanwhile
            if not second:  # the queue delivers the message again while this worker holds it
                second.append(run(record["id"]))
            return held

    done = run(record["id"], repo=Watched())
    assert second == [None]
    # 40 new sessions with their two claims each: 33 sessions (99 items) per transaction
    assert [(s["status"], s["progress"]) for s in seen] == [
        ("running", {"stage": "reading", "written": 0, "total": 0}),
        ("running", {"stage": "writing", "written": 0, "total": 40}),
        ("running", {"stage": "writing", "written": 33, "total": 40}),
        ("running", {"stage": "writing", "written": 40, "total": 40}),
    ]
    assert done is not None and done.attempts == 1
    final = api.get(path, as_=olga).json
    assert (final["status"], final["progress"], final["created"]) == ("done", None, 40)


class Dying(ImportJobs):
    """The worker dies once it has taken the import (reading its document)."""

    def document(self, import_id: str) -> str:
        raise RuntimeError("the worker died")


def test_an_import_is_never_left_unfinished(api, demo, olga, worker_env):
    t0 = utcnow()
    lease = rules.LEASE + dt.timedelta(seconds=1)

    # a worker dies: the record stays running under its lease; the next delivery after it finishes
    retried = queued(api, demo, {"content": (SAMPLES / "pretalx_schedule.json").read_text() + PADDING}, olga)
    with pytest.raises(RuntimeError):
        run(retried["id"], jobs=Dying(), at=t0)
    path = f"/events/{demo['id']}/schedule-imports/{retried['id']}"
    assert api.get(path, as_=olga).json["status"] == "running"
    assert run(retried["id"], at=t0 + dt.timedelta(seconds=60)) is None  # its lease still runs
    done = run(retried["id"], at=t0 + lease)
    assert (done.status, done.attempts, done.created) == ("done", 2, 5)
    assert api.get(path, as_=olga).json["status"] == "done"

    # an error on every delivery: the last one fails the import
    failing = queued(api, demo, {"content": talks(1)}, olga)
    for attempt in range(1, rules.MAX_ATTEMPTS):
        with pytest.raises(RuntimeError):
            run(failing["id"], jobs=Dying(), at=t0 + attempt * lease)
    last = run(failing["id"], jobs=Dying(), at=t0 + rules.MAX_ATTEMPTS * lease)
    assert last.status == "failed" and last.errors[0].message == "failed 3 times: import again"

    # a worker dies where nothing sees it (a timeout), and no delivery comes back: failed at the deadline
    lost = queued(api, demo, {"content": talks(1)}, olga)
    deadline = dt.datetime.fromisoformat(lost["createdAt"]) + rules.DEADLINE
    assert DynamoScheduleRepo().claim(lost["id"], "dead", iso(t0), iso(t0 + rules.LEASE)) is not None
    repos = (DynamoConferenceRepo(), DynamoScheduleRepo())
    olga_caller = _caller(olga)
    before = rules.get_import(
        *repos, olga_caller, demo["id"], lost["id"], now=deadline - dt.timedelta(seconds=1)
    )
    assert before.status == "running"
    # a delivery after the deadline takes nothing, though the dead worker's lease is long over
    assert run(lost["id"], at=deadline + dt.timedelta(seconds=1)) is None
    after = rules.get_import(
        *repos, olga_caller, demo["id"], lost["id"], now=deadline + dt.timedelta(seconds=2)
    )
    assert after.status == "failed" and "did not finish by" in after.errors[0].message
    assert api.get(f"/events/{demo['id']}/schedule-imports/{lost['id']}", as_=olga).json["status"] == "failed"


def _caller(user):
    from backchannel.core.model import Caller

    return Caller(member_id=user.sub, username=user.username, groups=frozenset({"organisers"}))
