"""Packs pipeline, pure: who may ask for and read packs, the coalescing state machine (an in-memory
repository with the same conditional transitions as DynamoDB's), the worker's dispatch, the S3 writer."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from backchannel.conference.model import Event, Membership, Session
from backchannel.core.errors import Forbidden, NotFound
from backchannel.core.model import Caller
from backchannel.packs import rules, service, worker
from backchannel.packs.model import Artifact, Pack, Target
from backchannel.packs.storage import PackWriter, object_key

NOW = dt.datetime(2030, 6, 1, 12, tzinfo=dt.UTC)


# ---------------------------------------------------------------------------------------------------
# fakes
# ---------------------------------------------------------------------------------------------------


class MemoryRepo:
    """The conditional transitions of ``packs_pipeline.data``, on dicts."""

    def __init__(self) -> None:
        self.packs: dict[str, Pack] = {}
        self.targets: dict[str, str] = {}
        self.tainted: dict[str, bool] = {}

    def get(self, pack_id):
        return copy.deepcopy(self.packs.get(pack_id))

    def get_by_target(self, target):
        return self.get(self.targets[target.key]) if target.key in self.targets else None

    def create(self, pack):
        if pack.target.key in self.targets:
            return False
        self.targets[pack.target.key] = pack.id
        self.packs[pack.id] = copy.deepcopy(pack)
        return True

    def _at(self, pack_id, version, *statuses):
        p = self.packs.get(pack_id)
        return (
            p if p is not None and p.version == version and (not statuses or p.status in statuses) else None
        )

    def mark_dirty(self, pack_id, version, *, withdraw, now):
        p = self._at(pack_id, version, "building")
        if p is None:
            return False
        p.dirty = True
        if withdraw:
            self.tainted[pack_id] = True
            p.ready_version, p.artifacts = None, {}
        return True

    def withdraw(self, pack_id, version, *, now):
        p = self._at(pack_id, version, "queued")
        if p is None:
            return False
        p.ready_version, p.artifacts = None, {}
        return True

    def requeue(self, pack_id, version, status, *, withdraw, now):
        p = self._at(pack_id, version, status)
        if p is None:
            return False
        p.version, p.status, p.dirty, p.reason, p.progress = version + 1, "queued", False, None, None
        if withdraw:
            p.ready_version, p.artifacts = None, {}
        return True

    def start(self, pack_id, version, *, now, stale_before):
        p = self._at(pack_id, version)
        if p is None:
            return None
        stale = p.status == "building" and (p.heartbeat_at or "") < stale_before
        if p.status not in ("queued", "failed") and not stale:
            return None
        p.status, p.dirty, p.heartbeat_at, p.progress, p.reason = "building", False, now, None, None
        self.tainted[pack_id] = False
        return copy.deepcopy(p)

    def report_progress(self, pack_id, version, progress, *, now):
        p = self._at(pack_id, version, "building")
        if p is not None:
            p.progress = progress
        return p is not None

    def finish(self, pack_id, version, artifacts, bucket, *, now):
        p = self._at(pack_id, version, "building")
        if p is None:
            return "lost"
        if not p.dirty or not self.tainted.get(pack_id):
            p.ready_version, p.artifacts, p.bucket = version, dict(artifacts), bucket
        if not p.dirty:
            p.status = "ready"
            return "ready"
        p.status, p.version, p.dirty = "queued", version + 1, False
        return "requeued"

    def fail(self, pack_id, version, reason, *, now):
        p = self._at(pack_id, version)
        if p is not None:
            p.status, p.reason = "failed", reason
        return p is not None

    def packs_of_event(self, event_id):
        return [copy.deepcopy(p) for p in self.packs.values() if p.target.event_id == event_id]

    def packs_of_session(self, event_id, session_id):
        return [
            copy.deepcopy(p)
            for p in self.packs.values()
            if p.target.kind == "session" and p.target.target_id == session_id
        ]


class Bus:
    def __init__(self, failing: bool = False) -> None:
        self.sent: list = []
        self.failing = failing

    def publish(self, events):
        if self.failing:
            return list(events)
        self.sent += events
        return []

    def versions(self):
        return [(e.detail["packId"], e.detail["version"]) for e in self.sent]


@dataclass
class Storage:
    bucket: str = "packs-bucket"
    removed: list = dataclasses.field(default_factory=list)

    def writer(self, pack_id, version):
        keys = {fmt: object_key(pack_id, version, fmt) for fmt in ("html", "md", "json", "epub")}
        return SimpleNamespace(bucket=self.bucket, keys=keys, open=None)  # the fake compiler writes nothing

    def remove_version(self, bucket, pack_id, version):
        self.removed.append((pack_id, version))


@dataclass(frozen=True)
class Compiled:
    format: str
    content_type: str
    size: int
    sha256: str


def compiled(pack, open_writer, progress):
    progress(1, None)
    progress(2, 2)
    return [Compiled(f, "text/plain", 1, "0" * 64) for f in ("html", "md", "json", "epub")]


class Store:
    def __init__(self) -> None:
        self.events: dict[str, Event] = {}
        self.sessions: dict[str, Session] = {}
        self.members: dict[tuple[str, str], Membership] = {}

    def get_event(self, event_id):
        return self.events.get(event_id)

    def get_session(self, session_id):
        return self.sessions.get(session_id)

    def get_membership(self, event_id, member_id):
        return self.members.get((event_id, member_id))


def event(visibility: str = "public", event_id: str = "E1") -> Event:
    return Event(
        id=event_id,
        name="n",
        hashtag="h",
        starts_on=dt.date(2030, 6, 1),
        ends_on=dt.date(2030, 6, 2),
        timezone="UTC",
        visibility=visibility,
        created_by="olga",
        created_at="x",
        updated_at="x",
    )


@pytest.fixture
def store() -> Store:
    s = Store()
    for vis, eid in (("public", "PUB"), ("unlisted", "UNL"), ("private", "PRV")):
        s.events[eid] = event(vis, eid)
        s.members[(eid, "olga")] = Membership(eid, "olga", {"organiser"}, "x")
        s.members[(eid, "alice")] = Membership(eid, "alice", {"attendee"}, "x")
        start = dt.datetime(2030, 6, 1, 9, tzinfo=dt.UTC)
        s.sessions[f"S-{eid}"] = Session(f"S-{eid}", eid, "t", start, start + dt.timedelta(hours=1), "x", "x")
    return s


OLGA, ALICE, BOB = Caller("olga"), Caller("alice"), Caller("bob")
SESSION = Target("session", "S1", "E1")


def ready_pack(repo, bus, storage) -> Pack:
    pack = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)
    service.build(repo, bus, storage, compiled, pack.id, pack.version, now=NOW)
    return repo.get(pack.id)


# ---------------------------------------------------------------------------------------------------
# rules
# ---------------------------------------------------------------------------------------------------


def test_organisers_request_session_and_event_packs(store):
    assert rules.session_target(store, OLGA, "S-PUB") == Target("session", "S-PUB", "PUB")
    assert rules.event_target(store, OLGA, "PRV") == Target("event", "PRV", "PRV")
    with pytest.raises(Forbidden):
        rules.session_target(store, ALICE, "S-PUB")
    with pytest.raises(NotFound):
        rules.session_target(store, BOB, "S-PRV")  # cannot see it: not found, not forbidden
    with pytest.raises(NotFound):
        rules.session_target(store, OLGA, "nope")


def test_members_request_their_own_personal_packs_of_events_they_belong_to(store):
    assert rules.personal_target(store, ALICE, "PRV") == Target("personal", "PRV", "PRV", "alice")
    assert rules.personal_target(store, OLGA, "PUB").member_id == "olga"
    with pytest.raises(Forbidden):
        rules.personal_target(store, BOB, "PUB")
    with pytest.raises(NotFound):
        rules.personal_target(store, BOB, "PRV")


@pytest.mark.parametrize(
    ("eid", "caller", "readable"),
    [
        ("PUB", None, True),
        ("UNL", None, True),
        ("PRV", None, False),
        ("PRV", BOB, False),
        ("PRV", ALICE, True),
    ],
)
def test_session_and_event_packs_are_read_as_their_event(store, eid, caller, readable):
    pack = Pack("P", Target("event", eid, eid), "ready", 1, "x", "x")
    if readable:
        assert rules.readable(store, caller, pack, "P").id == eid
    else:
        with pytest.raises(NotFound):
            rules.readable(store, caller, pack, "P")


def test_personal_packs_are_their_owners_alone(store):
    pack = Pack("P", Target("personal", "PUB", "PUB", "alice"), "ready", 1, "x", "x")
    assert rules.readable(store, ALICE, pack, "P")
    for caller in (None, OLGA, BOB):
        with pytest.raises(NotFound):
            rules.readable(store, caller, pack, "P")


def test_only_public_events_give_a_stable_public_url():
    served = Pack("P", Target("event", "E", "E"), "ready", 1, "x", "x", ready_version=1, bucket="b")
    served.artifacts = {"html": Artifact("html", "text/html", "k", 1, "s")}
    assert served.to_json(public_event=True)["publicUrl"] == "/packs/P/download?format=html"
    assert served.to_json(public_event=False)["publicUrl"] is None
    personal = dataclasses.replace(served, target=Target("personal", "E", "E", "m"))
    assert personal.to_json(public_event=True)["publicUrl"] is None


# ---------------------------------------------------------------------------------------------------
# coalescing
# ---------------------------------------------------------------------------------------------------


def test_a_first_request_queues_version_one_and_puts_it_on_the_bus():
    repo, bus = MemoryRepo(), Bus()
    pack = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)
    assert (pack.status, pack.version) == ("queued", 1)
    assert bus.versions() == [(pack.id, 1)]
    assert bus.sent[0].detail_type == "PackRequested"


def test_requests_while_queued_are_the_same_build():
    repo, bus = MemoryRepo(), Bus()
    first = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)
    again = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)
    assert (again.id, again.version) == (first.id, 1)
    assert bus.versions() == [(first.id, 1)]


def test_three_requests_during_a_build_cause_exactly_one_rebuild():
    repo, bus, storage = MemoryRepo(), Bus(), Storage()
    pack = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)

    def compile_while_asked(p, open_writer, progress):
        for _ in range(3):
            during = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)
            assert (during.status, during.version) == ("building", 1)
        return compiled(p, open_writer, progress)

    outcome = service.build(repo, bus, storage, compile_while_asked, pack.id, 1, now=NOW)
    assert outcome.status == "requeued"
    assert bus.versions() == [(pack.id, 1), (pack.id, 2)]
    current = repo.get(pack.id)
    assert (current.status, current.version, current.ready_version) == ("queued", 2, 1)  # v1 served meanwhile

    assert service.build(repo, bus, storage, compiled, pack.id, 2, now=NOW).status == "ready"
    assert (repo.get(pack.id).status, repo.get(pack.id).ready_version) == ("ready", 2)
    assert bus.versions() == [(pack.id, 1), (pack.id, 2)]  # and nothing more
    assert storage.removed[-1] == (pack.id, 2)  # files of versions before 2 go


def test_a_request_after_ready_starts_the_next_version():
    repo, bus, storage = MemoryRepo(), Bus(), Storage()
    pack = ready_pack(repo, bus, storage)
    again = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)
    assert (again.id, again.status, again.version, again.ready_version) == (pack.id, "queued", 2, 1)


def test_redelivered_and_stale_messages_change_nothing():
    repo, bus, storage = MemoryRepo(), Bus(), Storage()
    pack = ready_pack(repo, bus, storage)
    assert service.build(repo, bus, storage, compiled, pack.id, 1, now=NOW).status == "skipped"
    assert service.build(repo, bus, storage, compiled, "unknown", 1, now=NOW).status == "skipped"
    assert repo.get(pack.id).version == 1


def test_a_build_that_stopped_reporting_is_taken_over():
    repo, bus, storage = MemoryRepo(), Bus(), Storage()
    pack = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)
    repo.start(pack.id, 1, now="2030-06-01T11:00:00.000Z", stale_before="")  # a worker that died
    later = NOW + dt.timedelta(hours=1)
    assert service.build(repo, bus, storage, compiled, pack.id, 1, now=later).status == "ready"
    fresh = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)
    repo.start(fresh.id, fresh.version, now="2030-06-01T12:00:00.000Z", stale_before="")
    assert service.build(repo, bus, storage, compiled, fresh.id, fresh.version, now=NOW).status == "skipped"


def test_progress_is_written_at_most_every_interval():
    repo, bus, storage = MemoryRepo(), Bus(), Storage()
    pack = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)
    seen, ticks = [], iter([0.0, 0.5, 1.0, 2.5, 2.6])

    def slow(p, open_writer, progress):
        for n in range(5):
            progress(n, None)
            seen.append(repo.get(p.id).progress)
        return compiled(p, open_writer, lambda *_: None)

    service.build(repo, bus, storage, slow, pack.id, 1, now=NOW, clock=lambda: next(ticks))
    assert [s["done"] for s in seen] == [0, 0, 0, 3, 3]


def test_a_failed_build_records_a_reason_and_raises_for_a_retry():
    repo, bus, storage = MemoryRepo(), Bus(), Storage()
    pack = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)

    def broken(*_):
        raise OSError("/tmp/secret: no space")

    with pytest.raises(OSError, match="no space"):
        service.build(repo, bus, storage, broken, pack.id, 1, now=NOW)
    failed = repo.get(pack.id)
    assert (failed.status, failed.reason) == ("failed", "the pack could not be compiled")
    assert service.build(repo, bus, storage, compiled, pack.id, 1, now=NOW).status == "ready"  # the retry


def test_a_gone_target_fails_for_good():
    repo, bus, storage = MemoryRepo(), Bus(), Storage()
    pack = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)

    def gone(*_):
        raise NotFound("session S1 not found")

    assert service.build(repo, bus, storage, gone, pack.id, 1, now=NOW).status == "failed"
    assert repo.get(pack.id).reason == "the session is gone: session S1 not found"


def test_a_request_that_cannot_be_queued_is_a_503_and_the_pack_says_why():
    repo = MemoryRepo()
    with pytest.raises(service.QueueUnavailable):
        service.request(repo, Bus(failing=True), SESSION, requested_by="olga", now=NOW)
    assert repo.get_by_target(SESSION).status == "failed"


# ---------------------------------------------------------------------------------------------------
# rebuild triggers
# ---------------------------------------------------------------------------------------------------


def test_a_withdrawal_rebuilds_the_packs_holding_it_and_stops_serving_the_old_version():
    repo, bus, storage = MemoryRepo(), Bus(), Storage()
    session_pack = ready_pack(repo, bus, storage)
    event_pack = service.request(repo, bus, Target("event", "E1", "E1"), requested_by="olga", now=NOW)
    personal = service.request(repo, bus, Target("personal", "E1", "E1", "alice"), requested_by="alice")
    other = service.request(repo, bus, Target("session", "S2", "E1"), requested_by="olga", now=NOW)
    detail = {"id": "N1", "sessionId": "S1", "eventId": "E1", "authorId": "alice"}

    asked = service.rebuild_affected(repo, bus, "NoteWithdrawn", detail, now=NOW)

    assert sorted(asked) == sorted([session_pack.id, event_pack.id, personal.id])
    assert other.id not in asked
    rebuilt = repo.get(session_pack.id)
    assert (rebuilt.status, rebuilt.version, rebuilt.ready_version) == ("queued", 2, None)


def test_a_withdrawal_during_a_build_is_not_served_from_that_build():
    repo, bus, storage = MemoryRepo(), Bus(), Storage()
    pack = service.request(repo, bus, SESSION, requested_by="olga", now=NOW)

    def withdrawn_meanwhile(p, open_writer, progress):
        detail = {"id": "P1", "sessionId": "S1", "eventId": "E1"}
        service.rebuild_affected(repo, bus, "PostDeleted", detail, now=NOW)
        return compiled(p, open_writer, progress)

    assert service.build(repo, bus, storage, withdrawn_meanwhile, pack.id, 1, now=NOW).status == "requeued"
    assert repo.get(pack.id).ready_version is None
    service.build(repo, bus, storage, compiled, pack.id, 2, now=NOW)
    assert repo.get(pack.id).ready_version == 2


def test_member_triggers_reach_every_event_of_the_member():
    repo, bus = MemoryRepo(), Bus()
    a = service.request(repo, bus, Target("event", "E1", "E1"), requested_by="olga", now=NOW)
    b = service.request(repo, bus, Target("session", "S9", "E2"), requested_by="olga", now=NOW)
    asked = service.rebuild_affected(
        repo, bus, "MemberErased", {"memberId": "alice"}, member_events=lambda m: ["E1", "E2"], now=NOW
    )
    assert sorted(asked) == sorted([a.id, b.id])


def test_other_events_trigger_nothing():
    assert service.rebuild_affected(MemoryRepo(), Bus(), "PostCreated", {"eventId": "E1"}) == []


# ---------------------------------------------------------------------------------------------------
# the worker's dispatch: schedules and automatic builds
# ---------------------------------------------------------------------------------------------------


class Schedules:
    def __init__(self) -> None:
        self.at: dict[str, dt.datetime] = {}

    def upsert(self, session_id, event_id, at):
        self.at[session_id] = at
        return True

    def cancel(self, session_id):
        self.at.pop(session_id, None)


def make_worker(store, schedules=None):
    schedules = schedules or Schedules()
    return worker.Worker(
        repo=MemoryRepo(),
        publisher=Bus(),
        storage=Storage,
        compile=compiled,
        store=store,
        schedules=lambda: schedules,
        grace_minutes=lambda: 30,
        now=lambda: NOW,
    ), schedules


def test_sessions_are_scheduled_at_their_end_plus_grace_and_unscheduled_when_deleted(store):
    w, schedules = make_worker(store)
    detail = {"id": "S1", "eventId": "E1", "endsAt": "2030-06-01T15:00:00+00:00"}
    assert worker.handle(w, "SessionCreated", detail) == "schedule set"
    assert schedules.at["S1"] == dt.datetime(2030, 6, 1, 15, 30, tzinfo=dt.UTC)
    moved = {**detail, "endsAt": "2030-06-01T16:00:00Z", "changed": ["endsAt"]}
    worker.handle(w, "SessionChanged", moved)
    assert schedules.at["S1"] == dt.datetime(2030, 6, 1, 16, 30, tzinfo=dt.UTC)
    assert worker.handle(w, "SessionChanged", {**detail, "changed": ["title"]}) == "schedule unchanged"
    worker.handle(w, "SessionDeleted", {"id": "S1", "eventId": "E1"})
    assert schedules.at == {}
    past = {**detail, "endsAt": "2030-06-01T11:00:00Z"}
    assert worker.handle(w, "SessionCreated", past) == "session over: no schedule"


def test_a_due_schedule_and_a_published_summary_request_the_session_pack(store):
    w, _ = make_worker(store)
    worker.handle(w, "SessionPackDue", {"sessionId": "S-PUB", "eventId": "PUB"})
    pack = w.repo.get_by_target(Target("session", "S-PUB", "PUB"))
    assert pack.status == "queued"
    worker.handle(w, "SummaryPublished", {"sessionId": "S-PUB", "eventId": "PUB", "version": 1})
    assert w.repo.get(pack.id).version == 1  # coalesced with the queued build
    assert worker.handle(w, "SessionPackDue", {"sessionId": "gone", "eventId": "PUB"}) == "session gone"


def test_pack_requested_messages_build(store):
    w, _ = make_worker(store)
    pack = service.request(w.repo, w.publisher, SESSION, requested_by="olga", now=NOW)
    assert worker.handle(w, "PackRequested", {"packId": pack.id, "version": 1}) == "build ready"
    with pytest.raises(ValueError, match="without packId and version"):
        worker.handle(w, "PackRequested", {"packId": pack.id})


# ---------------------------------------------------------------------------------------------------
# the S3 writer
# ---------------------------------------------------------------------------------------------------


class S3:
    """What S3 would hold: objects by key, and multipart uploads in progress."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.uploads: dict[str, list[bytes]] = {}
        self.aborted: list[str] = []

    def put_object(self, Bucket, Key, Body, ContentType):
        self.objects[Key] = Body

    def create_multipart_upload(self, Bucket, Key, ContentType):
        self.uploads[Key] = []
        return {"UploadId": Key}

    def upload_part(self, Bucket, Key, UploadId, PartNumber, Body):
        assert PartNumber == len(self.uploads[UploadId]) + 1
        self.uploads[UploadId].append(Body)
        return {"ETag": hashlib.md5(Body).hexdigest()}  # noqa: S324 - S3's ETag

    def complete_multipart_upload(self, Bucket, Key, UploadId, MultipartUpload):
        parts = self.uploads.pop(UploadId)
        assert len(MultipartUpload["Parts"]) == len(parts)
        assert all(len(p) >= 5 * 1024 * 1024 for p in parts[:-1])  # S3's rule
        self.objects[Key] = b"".join(parts)

    def abort_multipart_upload(self, Bucket, Key, UploadId):
        self.uploads.pop(UploadId)
        self.aborted.append(Key)


def test_small_files_are_one_put_and_large_ones_a_multipart_upload():
    s3 = S3()
    writer = PackWriter(s3, "b", "P1", 3)
    with writer.open("html", "text/html") as out:
        out.write(b"<p>hi</p>")
    big = bytes(range(256)) * (50 * 1024)  # 12.5 MiB
    with writer.open("epub", "application/epub+zip") as out:
        for start in range(0, len(big), 1_000_000):
            out.write(big[start : start + 1_000_000])
    assert s3.objects["packs/P1/v3/pack.html"] == b"<p>hi</p>"
    assert s3.objects["packs/P1/v3/pack.epub"] == big
    assert writer.keys == {"html": "packs/P1/v3/pack.html", "epub": "packs/P1/v3/pack.epub"}


def test_a_failed_write_aborts_the_upload_and_leaves_no_object():
    s3 = S3()
    writer = PackWriter(s3, "b", "P1", 1)

    def render() -> None:
        with writer.open("epub", "application/epub+zip") as out:
            out.write(b"x" * (9 * 1024 * 1024))
            raise RuntimeError("renderer broke")

    with pytest.raises(RuntimeError, match="renderer broke"):
        render()
    assert s3.objects == {}
    assert s3.aborted == ["packs/P1/v1/pack.epub"]
    assert s3.uploads == {}


def test_zip_files_can_be_written_to_the_non_seekable_stream():
    import zipfile

    s3 = S3()
    writer = PackWriter(s3, "b", "P1", 1)
    with writer.open("epub", "application/epub+zip") as out, zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
    assert zipfile.ZipFile(io.BytesIO(s3.objects["packs/P1/v1/pack.epub"])).namelist() == ["mimetype"]
