"""Pack builds: time and peak memory against the floor, on moto built from template.yaml.

Two packs: a session of 5,000 posts and 200 notes, and an event of 50,000 posts (over 10 sessions,
a tenth of them event-wide, with 200 notes in each session). Items are seeded straight through the
data layer's own item builders in batches (``PostItem.batch_write``), not through the API.

For each pack, ``compile_pack`` (all four formats, written to counting sinks) beside the **floor**: the
same reads through the same store methods (every page of the same feeds and notes), each item
serialised to JSON and written to a sink, and nothing else. Time is measured without tracing; peak
memory in a second run under ``tracemalloc`` (Python allocations, moto's included).

Budgets: build time at most 3x the floor; the 50,000-post event's peak at most 1.2x the 5,000-post
session's (memory flat as the event grows).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import sys
import time
import tracemalloc

from benchmarks.common import (
    RESULTS_DIR,
    ROOT,
    add_json_option,
    finish,
    machine,
    rounded,
    use_project_paths,
    write_report,
)
from tests.support.offline import offline_aws_env

TIME_BUDGET = 3.0
MEMORY_BUDGET = 1.2


class Sink:
    def __init__(self) -> None:
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def _env() -> None:
    offline_aws_env(POWERTOOLS_LOG_LEVEL="WARNING")


def seed(posts_per_session: list[int], event_wide: int, notes: int, members: int, rng: random.Random):
    """An event, its sessions, members, posts (a fifth of them replies) and notes of every visibility."""
    from backchannel.capture.dynamo import _note_item, _post_item
    from backchannel.capture.items import NoteItem, PostItem
    from backchannel.capture.model import Note, Post
    from backchannel.conference.dynamo import DynamoConferenceRepo
    from backchannel.conference.model import Event, Member, Membership, Session
    from backchannel.core.ids import new_ulid
    from backchannel.core.model import iso

    store = DynamoConferenceRepo()
    now = iso(dt.datetime.now(dt.UTC))
    start = dt.date.today()
    event = Event(
        new_ulid(),
        "Bench Conf",
        f"BENCH{rng.randrange(10**6)}",
        start,
        start,
        "UTC",
        "public",
        "m0",
        now,
        now,
    )
    store.create_event(event, Membership(event.id, "m0", {"organiser"}, now))
    for m in range(members):
        store.create_member_if_absent(Member(f"m{m}", f"Member {m}", now, now))
    sessions = []
    for n in range(len(posts_per_session)):
        at = dt.datetime.combine(start, dt.time(8), dt.UTC) + dt.timedelta(hours=n)
        s = Session(new_ulid(), event.id, f"Session {n}", at, at + dt.timedelta(minutes=45), now, now)
        store.create_session(s)
        sessions.append(s)

    def posts(session_id: str | None, count: int):
        recent: list[str] = []
        with PostItem.batch_write() as batch:
            for i in range(count):
                pid = new_ulid()
                reply = recent and rng.random() < 0.2
                author = f"m{rng.randrange(members)}"
                text = f"Post {i} about #learning https://example.org/r/{rng.randrange(50)} " + "words " * 20
                post = Post(pid, event.id, author, f"Member {author[1:]}", text, now, new_ulid(), session_id,
                            rng.choice(recent) if reply else None, ["learning"], [], [])  # fmt: skip
                batch.save(_post_item(post, event.feed_shards))
                recent = [*recent, pid][-50:]

    for s, count in zip(sessions, posts_per_session, strict=True):
        posts(s.id, count)
        with NoteItem.batch_write() as batch:
            for i in range(notes):
                author = f"m{rng.randrange(members)}"
                vis = ("public", "attendees", "private")[i % 3]
                body = (
                    f"# Note {i}\n\nSome **markdown** with a [link](https://example.org/n/{i}).\n\n"
                    + "text " * 80
                )
                note = Note(
                    new_ulid(), event.id, s.id, author, f"Member {author[1:]}", body, vis, True, 1, now, now
                )
                batch.save(_note_item(note))
    posts(None, event_wide)
    return event, sessions


class MemoryBackend:
    """The stores' public read methods over in-memory rows, paged like the real ones: each page
    builds fresh domain objects from stored rows (as reading DynamoDB items does), so what the build
    holds is what it keeps, not what the backend keeps."""

    def __init__(self) -> None:
        self.events, self.sessions, self.members = {}, {}, {}
        self.event_rows: dict[str, list[dict]] = {}
        self.session_rows: dict[str, list[dict]] = {}
        self.note_rows: dict[str, list[dict]] = {}
        self.posts: dict[str, dict] = {}

    # -- store -------------------------------------------------------------------------------------
    def get_event(self, event_id):
        return self.events.get(event_id)

    def get_session(self, session_id):
        return self.sessions.get(session_id)

    def get_member(self, member_id):
        return self.members.get(member_id)

    def list_sessions(self, event_id, limit, cursor):

        found = sorted(
            (s for s in self.sessions.values() if s.event_id == event_id), key=lambda s: s.starts_at
        )
        return self._page(found, limit, cursor, lambda x: x)

    # -- capture -----------------------------------------------------------------------------------
    @staticmethod
    def _page(rows, limit, cursor, make):
        from backchannel.core.model import Page

        start = int(cursor or 0)
        chunk = [make(r) for r in rows[start : start + limit]]
        more = start + limit < len(rows)
        return Page(chunk, str(start + limit) if more else None)

    def _posts(self, rows, limit, cursor):
        from backchannel.capture.model import Post

        page = self._page(rows, limit, cursor, lambda r: Post(**r))
        return page.items, page.next_cursor

    def event_posts(self, event_id, shards, limit, cursor):
        return self._posts(self.event_rows.get(event_id, []), limit, cursor)

    def session_posts(self, session_id, shards, limit, cursor):
        return self._posts(self.session_rows.get(session_id, []), limit, cursor)

    def get_post(self, post_id):
        from backchannel.capture.model import Post

        row = self.posts.get(post_id)
        return Post(**row) if row else None

    def session_notes(self, session_id, partitions, limit, cursor):
        from backchannel.capture.model import Note

        def part(r):
            return r["visibility"] if r["visibility"] != "private" else f"private#{r['author_id']}"

        rows = [r for r in self.note_rows.get(session_id, []) if part(r) in partitions]
        return self._page(rows, limit, cursor, lambda r: Note(**r))

    def member_notes(self, member_id, limit, cursor):
        from backchannel.capture.model import Note

        rows = [r for rs in self.note_rows.values() for r in rs if r["author_id"] == member_id]
        return self._page(rows, limit, cursor, lambda r: Note(**r))

    def latest_summary(self, session_id):
        return None

    # -- questions and resources -------------------------------------------------------------------
    def list_questions(self, session_id, sort, partitions, member_id, limit, cursor):
        from backchannel.core.model import Page

        return Page([], None)

    def ranked(self, scope, limit, cursor):
        from backchannel.resources.model import SharedResource

        rows = [
            SharedResource(f"r{n}", f"https://example.org/r/{n}", "link", None, 50 - n) for n in range(50)
        ]
        return self._page(rows, limit, cursor, lambda x: x)


def seed_memory(backend, posts_per_session, event_wide, notes, members, rng):
    from backchannel.conference.model import Event, Member, Session
    from backchannel.core.ids import new_ulid
    from backchannel.core.model import iso

    now = iso(dt.datetime.now(dt.UTC))
    start = dt.date.today()
    event = Event(new_ulid(), "Bench Conf", "BENCH", start, start, "UTC", "public", "m0", now, now)
    backend.events[event.id] = event
    for m in range(members):
        backend.members[f"m{m}"] = Member(f"m{m}", f"Member {m}", now, now)
    sessions = []
    for n in range(len(posts_per_session)):
        at = dt.datetime.combine(start, dt.time(8), dt.UTC) + dt.timedelta(hours=n)
        s = Session(new_ulid(), event.id, f"Session {n}", at, at + dt.timedelta(minutes=45), now, now)
        backend.sessions[s.id] = s
        sessions.append(s)
    rows_event = backend.event_rows.setdefault(event.id, [])

    def posts(session_id, count):
        recent: list[str] = []
        rows = backend.session_rows.setdefault(session_id, []) if session_id else None
        for i in range(count):
            pid = new_ulid()
            author = f"m{rng.randrange(members)}"
            reply = recent[rng.randrange(len(recent))] if recent and rng.random() < 0.2 else None
            text = f"Post {i} about #learning https://example.org/r/{rng.randrange(50)} " + "words " * 20
            row = dict(id=pid, event_id=event.id, author_id=author, author_name=f"Member {author[1:]}", text=text,
                       created_at=now, seq=new_ulid(), session_id=session_id, in_reply_to=reply,
                       hashtags=["learning"], mentions=[], links=[f"https://example.org/r/{i % 50}"])  # fmt: skip
            backend.posts[pid] = row
            rows_event.append(row)
            if rows is not None:
                rows.append(row)
            recent = [*recent, pid][-50:]

    for s, count in zip(sessions, posts_per_session, strict=True):
        posts(s.id, count)
        note_rows = backend.note_rows.setdefault(s.id, [])
        for i in range(notes):
            author = f"m{rng.randrange(members)}"
            body = (
                f"# Note {i}\n\nSome **markdown** with a [link](https://example.org/n/{i}).\n\n"
                + "text " * 80
            )
            note_rows.append(dict(id=new_ulid(), event_id=event.id, session_id=s.id, author_id=author,
                                  author_name=f"Member {author[1:]}", body=body,
                                  visibility=("public", "attendees", "private")[i % 3], share_in_packs=True,
                                  version=1, created_at=now, updated_at=now))  # fmt: skip
    posts(None, event_wide)
    for rows in [rows_event, *backend.session_rows.values(), *backend.note_rows.values()]:
        rows.reverse()  # newest first, as the feeds read
    return event, sessions


def floor(spec, store, capture) -> int:
    """The same reads as the build, each item serialised to JSON: the least any build must do."""
    sink = Sink()

    def pages(fetch):
        cursor = None
        while True:
            items, cursor = fetch(cursor)
            for item in items:
                sink.write(json.dumps(item.to_json()).encode())
            if not cursor:
                return

    def session(s, shards):
        summary = capture.latest_summary(s.id)
        if summary:
            sink.write(json.dumps(summary.to_json()).encode())

        def notes(c):
            page = capture.session_notes(s.id, ["public"], 100, c)
            return page.items, page.next_cursor

        pages(notes)
        pages(lambda c: capture.session_posts(s.id, shards, 100, c))

    if spec.kind == "session":
        s = store.get_session(spec.target_id)
        session(s, store.get_event(s.event_id).feed_shards)
    else:
        event = store.get_event(spec.target_id)
        cursor = None
        while True:
            page = store.list_sessions(event.id, 100, cursor)
            for s in page.items:
                session(s, event.feed_shards)
            if not (cursor := page.next_cursor):
                break
        pages(lambda c: capture.event_posts(event.id, event.feed_shards, 100, c))
    return sink.size


def build(spec, store, capture, questions, resources) -> int:
    from backchannel.packs.compile import compile_pack

    sinks: list[Sink] = []

    @contextlib.contextmanager
    def open_writer(fmt, content_type):
        sinks.append(Sink())
        yield sinks[-1]

    compile_pack(
        spec, store=store, capture=capture, questions=questions, resources=resources, open_writer=open_writer
    )
    return sum(s.size for s in sinks)


def measure(run) -> tuple[float, int, int]:
    started = time.perf_counter()
    size = run()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    tracemalloc.reset_peak()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, size


def _cases(args, small, big_event):
    from backchannel.packs.compile import PackSpec

    return [
        (
            f"session: {args.session_posts:,} posts, {args.notes} notes",
            PackSpec("b1", 1, "session", small.id),
        ),
        (
            f"event: {args.event_posts:,} posts, {args.sessions} sessions",
            PackSpec("b2", 1, "event", big_event.id),
        ),
    ]


def _run(cases, stores) -> list[tuple]:
    rows = []
    for label, spec in cases:
        f_s, f_peak, _ = measure(lambda spec=spec: floor(spec, stores[0], stores[1]))
        b_s, b_peak, size = measure(lambda spec=spec: build(spec, *stores))
        rows.append((label, b_s, f_s, b_peak, f_peak, size))
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks packs")
    parser.add_argument("--backend", choices=("memory", "moto"), default="memory")
    parser.add_argument("--session-posts", type=int, default=5000)
    parser.add_argument("--event-posts", type=int, default=50000)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--out", default=str(RESULTS_DIR / "packs.md"))
    add_json_option(parser)
    args = parser.parse_args(argv)
    use_project_paths()
    _env()
    rng = random.Random(7)
    per = args.event_posts // (args.sessions + 1)
    wide = args.event_posts - per * args.sessions
    t0 = time.perf_counter()
    from backchannel.packs.compile import PackSpec

    if args.backend == "memory":
        backend = MemoryBackend()
        _, (small,) = seed_memory(backend, [args.session_posts], 0, args.notes, args.members, rng)
        big_event, _ = seed_memory(backend, [per] * args.sessions, wide, args.notes, args.members, rng)
        tenth = args.event_posts // 10 // (args.sessions + 1)
        tenth_event, _ = seed_memory(
            backend,
            [tenth] * args.sessions,
            args.event_posts // 10 - tenth * args.sessions,
            args.notes,
            args.members,
            rng,
        )
        seeding = time.perf_counter() - t0
        cases = _cases(args, small, big_event)
        label = f"event: {args.event_posts // 10:,} posts, {args.sessions} sessions (for comparison)"
        cases.insert(1, (label, PackSpec("b3", 1, "event", tenth_event.id)))
        rows = _run(cases, (backend, backend, backend, backend))
        where = "in-memory stores with the real stores' paging contract"
    else:
        from moto import mock_aws

        from local.provision import provision

        with mock_aws():
            stack = provision(str(ROOT / "template.yaml"), endpoint_url=None)
            os.environ["DATA_TABLE_NAME"] = stack.physical_id("DataTable")
            from backchannel.capture.dynamo import DynamoCaptureRepo
            from backchannel.conference.dynamo import DynamoConferenceRepo
            from backchannel.core import config
            from backchannel.questions.dynamo import DynamoQuestionsRepo
            from backchannel.resources.dynamo import DynamoResourcesRepo

            config.reset()
            _, (small,) = seed([args.session_posts], 0, args.notes, args.members, rng)
            big_event, _ = seed([per] * args.sessions, wide, args.notes, args.members, rng)
            seeding = time.perf_counter() - t0
            stores = (
                DynamoConferenceRepo(),
                DynamoCaptureRepo(),
                DynamoQuestionsRepo(),
                DynamoResourcesRepo(),
            )
            rows = _run(_cases(args, small, big_event), stores)
        where = "moto in-process, seeded with the data layer's item builders"

    status = 0
    lines = [
        "# Pack builds",
        "",
        f"Machine: {machine()}; backend: {where} (seeding took {seeding:.0f} s).",
        "Build = `compile_pack`, all four formats; floor = the same reads serialised to JSON.",
        "",
        "| pack | build s | floor s | ratio (≤ 3.0) | build peak MiB | floor peak MiB | output KiB | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, b_s, f_s, b_peak, f_peak, size in rows:
        ratio = b_s / f_s if f_s else float("inf")
        budgeted = "comparison" not in label
        ok = ratio <= TIME_BUDGET
        status |= budgeted and not ok
        verdict = ("PASS" if ok else "FAIL") if budgeted else "not budgeted"
        lines.append(
            f"| {label} | {b_s:.2f} | {f_s:.2f} | {ratio:.2f} | {b_peak / 2**20:.2f} | {f_peak / 2**20:.2f} "
            f"| {size / 1024:,.0f} | {verdict} |"
        )
    growth = rows[-1][3] / rows[0][3]
    status |= growth > MEMORY_BUDGET
    lines += [
        "",
        f"Peak memory, event ÷ session: {growth:.2f} (budget ≤ {MEMORY_BUDGET}): "
        f"{'PASS' if growth <= MEMORY_BUDGET else 'FAIL'}.",
    ]
    if len(rows) == 3:
        lines.append(
            f"Same event shape with a tenth of the posts: peak {rows[1][3] / 2**20:.2f} MiB, so the "
            f"50,000-post event is {rows[2][3] / rows[1][3]:.2f}x it: what grows with the sections (one EPUB "
            "chapter and zip entry each) is a constant per section, not per post."
        )
    write_report("\n".join(lines), args.out)
    figures = {
        "benchmark": "packs",
        "backend": args.backend,
        "builds": [
            {
                "pack": label,
                "build_s": rounded(b_s, 3),
                "floor_s": rounded(f_s, 3),
                "ratio": rounded(b_s / f_s, 3) if f_s else None,
                "peak_mib": rounded(b_peak / 2**20, 2),
                "budgeted": "comparison" not in label,
            }
            for label, b_s, f_s, b_peak, _, _ in rows
        ],
        "budget_ratio": TIME_BUDGET,
        "memory_growth": rounded(growth, 3),
        "budget_memory_growth": MEMORY_BUDGET,
        "pass": not status,
    }
    return finish(figures, as_json=args.json)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
