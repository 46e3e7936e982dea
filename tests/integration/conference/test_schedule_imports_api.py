"""Schedule imports through the events API: a pretalx schedule.json imported twice duplicates
nothing, a changed title updates one session, removeMissing removes only imported sessions, a dry
run and a failed import write nothing, a URL (fetched through the outbound guard) and a document over
256 KiB are run by the worker (202), and only the event's organisers may import."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.integration.conftest import future_event, pages, session_body

SAMPLES = Path(__file__).parents[2] / "unit" / "conference" / "schedules"
SCHEDULE = (SAMPLES / "pretalx_schedule.json").read_text(encoding="utf-8")
GUIDS = [f"0b9a1c3e-5b0d-5c7e-9b1c-00000000000{n}" for n in (1, 2, 3, 5)] + ["frab-id:104"]


@pytest.fixture
def demo(api, olga):
    """A public event in Berlin over the spring DST switch of 2026, organised by olga."""
    body = future_event(
        hashtag="demo26", startsOn="2026-03-28", endsOn="2026-03-29", timezone="Europe/Berlin"
    )
    r = api.post("/events", body, as_=olga)
    assert r.status == 201, r
    return r.json


def imported(api, event, content=SCHEDULE, as_=None, **options):
    return api.post(f"/events/{event['id']}/schedule-imports", {"content": content, **options}, as_=as_)


def programme(api, event) -> dict[str, dict]:
    """The event's sessions by externalId (hand-made ones under their title)."""
    found = [s for items in pages(api, f"/events/{event['id']}/sessions", limit=100) for s in items]
    return {s["externalId"] or s["title"]: s for s in found}


def with_changes(change) -> str:
    doc = json.loads(SCHEDULE)
    change(doc["schedule"]["conference"]["days"])
    return json.dumps(doc)


def test_importing_a_schedule_twice_creates_its_sessions_once(api, demo, olga):
    first = imported(api, demo, as_=olga)
    assert first.status == 201, first
    assert first.json | {"id": None, "createdAt": None, "updatedAt": None} == {
        "id": None,
        "eventId": demo["id"],
        "format": "frab-json",
        "url": None,
        "dryRun": False,
        "removeMissing": False,
        "status": "done",
        "progress": None,
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "errors": [],
        "requestedBy": olga.sub,
        "createdAt": None,
        "updatedAt": None,
    }
    assert first.headers["location"] == f"/events/{demo['id']}/schedule-imports/{first.json['id']}"
    sessions = programme(api, demo)
    assert sorted(sessions) == sorted(GUIDS)
    keynote = sessions[GUIDS[0]]
    assert keynote["speakers"] == [
        {"name": "Ada Lovelace", "link": "https://pretalx.example.org/demo26/speaker/P1/"},
        {"name": "Grace Hopper", "link": None},
    ]
    assert (keynote["room"], keynote["track"], keynote["hashtag"]) == ("Saal 1", "Security", "OpeningKeynote")
    assert keynote["links"][1] == {"title": "Slides", "url": "https://example.org/slides.pdf"}
    clock = sessions[GUIDS[2]]  # across the spring switch: two real hours
    assert (clock["startsAt"], clock["endsAt"]) == ("2026-03-29T01:30:00+01:00", "2026-03-29T04:30:00+02:00")

    again = imported(api, demo, as_=olga)
    assert again.status == 201, again
    assert [again.json[k] for k in ("created", "updated", "unchanged", "removed")] == [0, 0, 5, 0]
    assert programme(api, demo) == sessions  # no duplicates, nothing touched

    polled = api.get(f"/events/{demo['id']}/schedule-imports/{first.json['id']}", as_=olga)
    assert polled.status == 200 and polled.json == first.json


def test_a_changed_title_updates_one_session_and_remove_missing_removes_only_imported_ones(api, demo, olga):
    hand = api.post(f"/events/{demo['id']}/sessions", session_body(demo, title="Hand made"), as_=olga)
    assert hand.status == 201
    assert imported(api, demo, as_=olga).status == 201
    before = programme(api, demo)

    def retitle(days):
        days[0]["rooms"]["Saal 1"][0]["title"] = "Opening Keynote, moved"

    r = imported(api, demo, with_changes(retitle), as_=olga)
    assert [r.json[k] for k in ("created", "updated", "unchanged", "removed")] == [0, 1, 4, 0]
    after = programme(api, demo)
    assert after[GUIDS[0]]["title"] == "Opening Keynote, moved"
    assert after[GUIDS[0]]["id"] == before[GUIDS[0]]["id"]
    assert {k: v for k, v in after.items() if k != GUIDS[0]} == {
        k: v for k, v in before.items() if k != GUIDS[0]
    }

    def drop_night_session(days):
        days[0]["rooms"]["Saal 2"] = []

    shorter = with_changes(drop_night_session)
    kept = imported(api, demo, shorter, as_=olga)
    assert [kept.json[k] for k in ("updated", "unchanged", "removed")] == [1, 3, 0]  # the title back
    assert len(programme(api, demo)) == 6
    removed = imported(api, demo, shorter, as_=olga, removeMissing=True)
    assert [removed.json[k] for k in ("unchanged", "removed")] == [4, 1]
    assert sorted(programme(api, demo)) == sorted([*(g for g in GUIDS if g != GUIDS[1]), "Hand made"])


def test_a_dry_run_or_a_failed_import_writes_nothing_and_names_the_entry_and_the_field(api, demo, olga):
    dry = imported(api, demo, as_=olga, dryRun=True)
    assert dry.status == 201 and dry.json["dryRun"] is True and dry.json["created"] == 5
    assert programme(api, demo) == {}

    assert imported(api, demo, as_=olga).status == 201
    before = programme(api, demo)

    def break_one(days):
        days[0]["rooms"]["Saal 1"][0]["title"] = "A new title that must not land"
        days[1]["rooms"]["Saal 2"][0]["date"] = "2026-04-02T10:00:00+02:00"  # after the event

    r = imported(api, demo, with_changes(break_one), as_=olga)
    assert r.status == 422, r
    assert r.headers["content-type"] == "application/problem+json"
    (problem,) = r.json["errors"]
    assert problem["field"].startswith(
        'days[1].rooms["Saal 2"][0] (guid 0b9a1c3e-5b0d-5c7e-9b1c-000000000005'
    )
    assert problem["field"].endswith(".date") and "outside the event" in problem["message"]
    assert programme(api, demo) == before
    import_id = r.json["importId"]  # the failed import's record, named in a field of the problem
    assert import_id in r.json["detail"]
    record = api.get(f"/events/{demo['id']}/schedule-imports/{import_id}", as_=olga).json
    assert record["status"] == "failed" and record["errors"][0]["field"] == "date"
    assert record["errors"][0]["entry"].startswith('days[1].rooms["Saal 2"][0]')

    malformed = imported(api, demo, '{"schedule": {"conference": ', as_=olga)
    assert malformed.status == 422
    assert malformed.json["errors"] == [
        {"field": "content", "message": "is not valid JSON: Expecting value at line 1 column 29"}
    ]
    too_large = imported(api, demo, SCHEDULE + " " * (5 * 1024 * 1024), as_=olga)
    assert too_large.status == 413 and too_large.json["errors"][0]["field"] == "content"
    too_large_record = api.get(
        f"/events/{demo['id']}/schedule-imports/{too_large.json['importId']}", as_=olga
    )
    assert too_large_record.json["status"] == "failed"
    assert imported(api, demo, "x" * (6 * 1024 * 1024), as_=olga).status == 413  # the body itself
    both = {"url": "https://pretalx.example.org/s.json", "content": SCHEDULE}
    assert api.post(f"/events/{demo['id']}/schedule-imports", both, as_=olga).status == 422
    assert api.post(f"/events/{demo['id']}/schedule-imports", {"format": "ical"}, as_=olga).status == 422
    assert programme(api, demo) == before


def test_only_the_event_s_organisers_may_import_or_read_imports(api, demo, olga, oscar, alice):
    done = imported(api, demo, as_=olga)
    assert imported(api, demo, as_=alice).status == 403
    assert imported(api, demo, as_=oscar).status == 403
    assert api.get(f"/events/{demo['id']}/schedule-imports/{done.json['id']}", as_=alice).status == 403
    private = api.post("/events", future_event(hashtag="hidden26", visibility="private"), as_=olga).json
    assert imported(api, private, as_=alice).status == 404
    assert api.get(f"/events/{private['id']}/schedule-imports/{done.json['id']}", as_=olga).status == 404


# ---------------------------------------------------------------------------------------------------
# from a URL
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def schedule_server():
    """A web server on loopback serving the schedule at /schedule.json, redirected from /latest."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/latest":
                self.send_response(302)
                self.send_header("location", "/schedule.json")
                self.send_header("content-length", "0")
                self.end_headers()
                return
            body = SCHEDULE.encode() if self.path == "/schedule.json" else b"not here"
            self.send_response(200 if self.path == "/schedule.json" else 404)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def queued(api, event, body, as_) -> dict:
    """POST an import that the worker runs: 202, queued, with its record at the Location."""
    r = api.post(f"/events/{event['id']}/schedule-imports", body, as_=as_)
    assert r.status == 202, r
    assert r.json["status"] == "queued" and r.json["progress"] is None
    assert r.headers["location"] == f"/events/{event['id']}/schedule-imports/{r.json['id']}"
    assert api.get(r.headers["location"], as_=as_).json == r.json
    return r.json


def test_a_url_or_a_document_over_256_kib_is_imported_by_the_worker_a_url_through_the_outbound_guard(
    api, aws, demo, olga, loopback, schedule_server, pumps_of
):
    loopback.allow(schedule_server)  # as make run allows its own receivers: exactly this origin
    worker = pumps_of("ScheduleImportWorkerFunction")
    big = queued(api, demo, {"content": SCHEDULE + " " * (256 * 1024), "dryRun": True}, olga)
    s3, bucket = aws.client("s3"), aws.physical_id("ScheduleImportsBucket")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1  # the document waits for the worker
    url_import = queued(api, demo, {"url": f"{schedule_server}/latest"}, olga)
    missing = queued(api, demo, {"url": f"{schedule_server}/nope"}, olga)
    refused = {
        "http://pretalx.example.org/schedule.json": "must use https",
        "https://127.0.0.2/schedule.json": "loopback address",
        "https://10.1.2.3/schedule.json": "private address",
        "https://169.254.169.254/latest/meta-data": "instance metadata address",
    }
    refusals = {url: queued(api, demo, {"url": url}, olga)["id"] for url in refused}
    worker.drain()

    def record(import_id):
        return api.get(f"/events/{demo['id']}/schedule-imports/{import_id}", as_=olga).json

    done = record(url_import["id"])
    assert (done["status"], done["url"], done["format"], done["created"]) == (
        "done",
        f"{schedule_server}/latest",
        "frab-json",
        5,
    )
    assert len(programme(api, demo)) == 5
    failed = record(missing["id"])
    assert failed["status"] == "failed" and failed["errors"] == [
        {"entry": "document", "field": "url", "message": "answered HTTP 404, not 200"}
    ]
    for url, says in refused.items():
        (problem,) = record(refusals[url])["errors"]
        assert problem["field"] == "url" and says in problem["message"], url
    dry = record(big["id"])
    assert (dry["status"], dry["dryRun"], dry["created"] + dry["unchanged"]) == ("done", True, 5)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0  # gone once imported


def test_a_plan_refused_in_its_second_transaction_is_undone_whole(data_table):
    """60 new sessions with hashtags are 120 items: two transactions. A hashtag taken after the plan
    was made refuses the second; the first is undone, so none of the 60 stays."""
    import datetime as dt

    from backchannel.conference.dynamo import DynamoConferenceRepo
    from backchannel.conference.rules import all_sessions
    from backchannel.conference.schedule.dynamo import DynamoScheduleRepo
    from backchannel.conference.schedule.plan import Plan
    from backchannel.core.errors import Conflict
    from tests.support.fakes import a_session

    start = dt.datetime(2030, 5, 18, 9, tzinfo=dt.UTC)
    new = [
        a_session(f"S{i:02d}", "E", hashtag=f"Talk{i}", external_id=f"g{i}", starts_at=start)
        for i in range(60)
    ]
    conference = DynamoConferenceRepo()
    conference.create_session(a_session("HAND", "E", hashtag="talk55", starts_at=start))  # taken meanwhile
    with pytest.raises(Conflict):
        DynamoScheduleRepo().apply(Plan(create=new))
    assert [s.id for s in all_sessions(DynamoConferenceRepo(), "E")] == ["HAND"]
    freed = a_session("HAND2", "E", hashtag="Talk1", starts_at=start)
    DynamoConferenceRepo().create_session(freed)  # the undone session's hashtag is free again


def test_two_imports_planned_from_the_same_reading_cannot_both_create_a_session(data_table):
    """Two imports at once, or a second one that read the sessions index before it caught up, plan
    the same new sessions under new ids: the external id is claimed once per event, so the second is
    refused whole (409) instead of duplicating them."""
    import dataclasses
    import datetime as dt

    from backchannel.conference.dynamo import DynamoConferenceRepo
    from backchannel.conference.rules import all_sessions
    from backchannel.conference.schedule.dynamo import DynamoScheduleRepo
    from backchannel.conference.schedule.plan import Plan
    from backchannel.core.errors import Conflict
    from tests.support.fakes import a_session

    start = dt.datetime(2030, 5, 18, 9, tzinfo=dt.UTC)
    first = [a_session(f"A{i}", "E", external_id=f"g{i}", starts_at=start) for i in range(3)]
    second = [dataclasses.replace(s, id=f"B{i}") for i, s in enumerate(first)]
    DynamoScheduleRepo().apply(Plan(create=first))
    with pytest.raises(Conflict):
        DynamoScheduleRepo().apply(Plan(create=second))
    assert sorted(s.id for s in all_sessions(DynamoConferenceRepo(), "E")) == ["A0", "A1", "A2"]
    DynamoConferenceRepo().delete_session(first[0])  # deleting by hand frees its external id
    DynamoScheduleRepo().apply(Plan(create=second[:1]))
