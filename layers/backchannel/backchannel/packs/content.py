"""The content of a pack, read from the stores page by page as a stream of records.

A record is one of::

    ("begin", meta)               once, first
    ("section", section)          a session (or the event-wide part): its items follow
    ("item", group, data)         groups come in GROUPS order (``packs.model``) within a section
    ("end", {"contributors": [...]})

Memory stays flat as the event grows: posts, notes, questions and resources are read a page at a
time and handed on at once. What is held is bounded by a constant or by the number of sessions or
distinct contributors, never by the number of posts: the top threads are found in one pass with a
bounded heavy-hitters counter (Misra-Gries over the posts replied to, ``SLOTS`` counters, at most
``REPLIES`` replies kept per counter), and their root posts are then read by id.

Privacy rules (``docs/packs.md``):
- session and event packs hold notes that are ``shareInPacks`` and public, plus attendees-only notes
  when the event is private or unlisted (its pack's audience is then its attendees); never private
  notes; a personal pack holds its member's own notes of every visibility and nobody else's;
- only approved questions; an anonymous asker stays anonymous;
- nothing of a member whose profile says ``packConsent: false`` (their posts, notes, questions),
  except in their own personal pack;
- packs are derived from the current state, so deleted content is absent by construction.

Editions (``PackSpec.edition``): the ``full`` edition is the build its owner (a personal pack) or the
event's organisers (session and event packs) read. The ``circulated`` edition is what travels when the
pack is published, built for its audience:
- a personal pack's circulated edition holds only its member's **public** notes that are
  ``shareInPacks``: never private notes, and no attendees-only notes (followers need no approval, so
  they are not an event's attendees; an attendee who follows reads those notes in the event itself);
- its links and papers are those of what the edition itself holds (the ledger's lists also count
  attendees-only notes), and so are a public event's session and event packs';
- session and event packs of a private or unlisted event keep their attendees-only notes: they reach
  the event's members only, and every fetch checks the recipient again.
``restrict`` (a retraction rebuild) keeps only what an earlier edition held (its manifest), so such a
rebuild can only remove content: an edited note leaves, it is not replaced by its new words.
``left_out`` counts, by reason, the notes an edition did not take: what the publisher's preview shows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from backchannel.capture.model import Note, Post
from backchannel.conference.model import Event, Session
from backchannel.core.errors import NotFound
from backchannel.core.model import iso, utcnow
from backchannel.packs.pieces import (
    DOI_BASE,
    TOP_POSTS,
    Consent,
    citation,
    manifest_key,
    note_json,
    pages,
    post_json,
    session_json,
    top_threads,
)
from backchannel.resources.links import resources_in
from backchannel.resources.rules import event_scope, session_scope

SCHEMA_VERSION = 1


PAGE = 100


Record = tuple


FULL, CIRCULATED = "full", "circulated"


EDITIONS = (FULL, CIRCULATED)


class PackContent:
    def __init__(self, spec, *, store, capture, questions=None, resources=None) -> None:
        self.spec = spec
        self.store = store
        self.capture = capture
        self.questions = questions
        self.resources = resources
        self.edition = getattr(spec, "edition", FULL)
        if self.edition not in EDITIONS:
            raise ValueError(f"unknown edition {self.edition!r}")
        self.restrict: frozenset[str] | None = getattr(spec, "restrict", None)
        personal_owner = spec.member_id if spec.kind == "personal" and self.edition == FULL else None
        self.consent = Consent(store, owner=personal_owner)
        self.count = 0
        self.left_out: Counter[str] = Counter()
        self.manifest: set[str] = set()
        self._own_links = False  # set by records(): an edition's links come from its own items
        self._section: str | None = None
        self._links: dict[str, tuple[object, set[str]]] = {}

    # -- what the pack is about --------------------------------------------------------------------

    def resolve(self) -> tuple[Event, Session | None]:
        spec = self.spec
        if spec.kind == "session":
            session = self.store.get_session(spec.target_id)
            event = self.store.get_event(session.event_id) if session else None
            if session is None or event is None:
                raise NotFound(f"session {spec.target_id} not found")
            return event, session
        if spec.kind in ("event", "personal"):
            event = self.store.get_event(spec.target_id)
            if event is None:
                raise NotFound(f"event {spec.target_id} not found")
            if spec.kind == "personal" and not spec.member_id:
                raise NotFound("a personal pack needs a member")
            if spec.kind == "personal" and self.store.get_member(spec.member_id) is None:
                raise NotFound(f"member {spec.member_id} not found")
            return event, None
        raise ValueError(f"unknown pack kind {spec.kind!r}")

    def audience(self, event: Event) -> str:
        if self.spec.kind == "personal":
            return "followers" if self.edition == CIRCULATED else "member"
        return "public" if event.visibility == "public" else "attendees"

    # -- the stream --------------------------------------------------------------------------------

    def records(self) -> Iterator[Record]:
        event, session = self.resolve()
        spec = self.spec
        self._own_links = self.edition == CIRCULATED and self.audience(event) != "attendees"
        title = {
            "session": lambda: f"{session.title} — {event.name}",
            "event": lambda: event.name,
            "personal": lambda: f"{event.name} — personal pack",
        }[spec.kind]()
        yield (
            "begin",
            {
                "schemaVersion": SCHEMA_VERSION,
                "id": spec.pack_id,
                "version": spec.version,
                "kind": spec.kind,
                "title": title,
                "audience": self.audience(event),
                "generatedAt": iso(utcnow()),
                "event": {
                    "id": event.id,
                    "name": event.name,
                    "hashtag": event.hashtag,
                    "startsOn": event.starts_on.isoformat(),
                    "endsOn": event.ends_on.isoformat(),
                    "timezone": event.timezone,
                    "description": event.description,
                },
                "memberId": spec.member_id if spec.kind == "personal" else None,
            },
        )
        if spec.kind == "session":
            if self._keeps(session.id):
                yield from self._session(event, session)
        elif spec.kind == "event":
            for s in self._schedule(event):
                if self._keeps(s.id):
                    yield from self._session(event, s)
            if self._keeps(event.id):
                yield from self._event_wide(event)
        else:
            wanted = self._personal_sessions(event)
            for s in self._schedule(event):
                if s.id in wanted and self._keeps(s.id):
                    yield from self._session(event, s)
        names = sorted(self.consent.contributors.values(), key=str.casefold)
        if self.restrict is not None:  # a retraction rebuild credits nobody the edition did not
            names = [n for n in names if f"contributor:{n}" in self.restrict]
        self.manifest.update(f"contributor:{n}" for n in names)
        yield ("end", {"contributors": [{"displayName": n} for n in names]})

    def _schedule(self, event: Event) -> Iterator[Session]:
        def fetch(cursor):
            page = self.store.list_sessions(event.id, PAGE, cursor)
            return page.items, page.next_cursor

        return pages(fetch)

    def _personal_sessions(self, event: Event) -> set[str]:
        """The sessions the member starred or wrote notes in (one id each: bounded by the schedule).
        A circulated edition has only the sessions it carries a note of: which sessions a member
        starred, or wrote private notes in, is theirs alone."""

        def fetch(cursor):
            page = self.capture.member_notes(self.spec.member_id, PAGE, cursor)
            return page.items, page.next_cursor

        notes = (n for n in pages(fetch) if n.event_id == event.id)
        if self.edition == CIRCULATED:
            return {n.session_id for n in notes if self._left_out(n, personal=True, circulated=True) is None}
        starred = getattr(self.store, "starred_sessions", None)
        stars = starred(self.spec.member_id, event.id) if starred else set()
        return stars | {n.session_id for n in notes}

    def _keeps(self, section_id: str) -> bool:
        """Whether a section goes in: a retraction rebuild keeps only the sections it held."""
        return self.restrict is None or f"section:{section_id}" in self.restrict

    def _emit(self, group: str, data: dict) -> Iterator[Record]:
        """One item, unless a retraction rebuild's manifest did not hold it (a thread keeps only the
        replies it held). Records the item in this edition's manifest and gathers its links."""
        if group == "posts" and self.restrict is not None:
            data = {**data, "replies": [r for r in data["replies"] if f"post:{r['id']}" in self.restrict]}
        key = manifest_key(group, data, self._section)
        if self.restrict is not None and key not in self.restrict:
            return
        self.manifest.add(key)
        if group == "posts":
            self.manifest.update(f"post:{r['id']}" for r in data["replies"])
        if self._own_links:
            self._gather(group, data)
        self.count += 1
        yield ("item", group, data)

    def _gather(self, group: str, data: dict) -> None:
        """The links and papers of an item this edition holds, with who shared them."""
        if group == "summary":
            texts = [("summary", data["body"])]
        elif group == "notes":
            texts = [(data["author"]["id"], data["body"])]
        elif group == "posts":
            texts = [(p["author"]["id"], p["text"]) for p in (data, *data["replies"])]
        else:
            return
        for who, text in texts:
            for resource in resources_in(text or ""):
                self._links.setdefault(resource.url, (resource, set()))[1].add(who)

    def _section_start(self, data: dict) -> Record:
        self._section = data["id"]
        self._links = {}
        self.manifest.add(f"section:{data['id']}")
        return ("section", data)

    def _session(self, event: Event, session: Session) -> Iterator[Record]:
        yield self._section_start(session_json(session))
        summary = self.capture.latest_summary(session.id)
        if summary is not None:
            yield from self._emit(
                "summary",
                {"version": summary.version, "body": summary.body, "publishedAt": summary.published_at},
            )
        yield from self._notes(event, session)
        if self.spec.kind != "personal":
            yield from self._posts(
                lambda limit, cursor: self.capture.session_posts(
                    session.id, event.feed_shards, limit, cursor
                ),
                lambda p: p.session_id == session.id,
            )
            yield from self._questions(session)
        yield from self._resources(session_scope(session.id))

    def _event_wide(self, event: Event) -> Iterator[Record]:
        yield self._section_start({"type": "event", "id": event.id, "title": f"Across {event.name}"})
        yield from self._posts(
            lambda limit, cursor: self.capture.event_posts(event.id, event.feed_shards, limit, cursor),
            lambda p: p.session_id is None,
        )
        yield from self._resources(event_scope(event.id))

    def _notes(self, event: Event, session: Session) -> Iterator[Record]:
        personal = self.spec.kind == "personal"
        circulated = self.edition == CIRCULATED
        partitions = ["public"]
        # A public edition leaves attendees-only notes out; its circulated edition reads them only to
        # count them for the publisher's preview.
        if personal or event.visibility != "public" or circulated:
            partitions.append("attendees")
        if personal:
            partitions.append(f"private#{self.spec.member_id}")

        def fetch(cursor):
            page = self.capture.session_notes(session.id, partitions, PAGE, cursor)
            return page.items, page.next_cursor

        for note in pages(fetch):
            if personal and note.author_id != self.spec.member_id:
                continue
            reason = self._left_out(
                note, personal=personal, circulated=circulated, public=event.visibility == "public"
            )
            if reason is not None:
                self.left_out[reason] += 1
                continue
            self.consent.allows(note.author_id)
            self.consent.credit(note.author_id, note.author_name)
            yield from self._emit("notes", note_json(note))

    def _left_out(self, note: Note, *, personal: bool, circulated: bool, public: bool = True) -> str | None:
        """Why ``note`` stays out of this edition, or None if it goes in. The owner's own (full)
        personal pack holds all their notes; a public event's packs hold no attendees-only note."""
        if personal and not circulated:
            return None
        if note.visibility == "private":
            return "private"
        if note.visibility != "public" and (personal or public):
            return "attendees"
        if not note.share_in_packs:
            return "not-shared"
        if not self.consent.allows(note.author_id):
            return "no-consent"
        return None

    def _posts(self, read, belongs: Callable[[Post], bool]) -> Iterator[Record]:
        def fetch(cursor):
            return read(PAGE, cursor)

        def allowed(post: Post) -> bool:
            if self.restrict is not None and f"post:{post.id}" not in self.restrict:
                return False
            return belongs(post) and not post.hidden and self.consent.allows_post(post)

        candidates, roots = top_threads(pages(fetch), allowed)
        shown: set[str] = set()
        for parent_id, count, replies in candidates:
            if len(shown) >= TOP_POSTS:
                break
            parent = self.capture.get_post(parent_id)
            if parent is None or not allowed(parent):
                continue
            shown.add(parent.id)
            yield from self._thread(parent, list(reversed(replies)), count)
        for post in roots:
            if len(shown) >= TOP_POSTS:
                break
            if post.id not in shown:
                shown.add(post.id)
                yield from self._thread(post, [], 0)

    def _thread(self, post: Post, replies: list[Post], count: int) -> Iterator[Record]:
        if self.restrict is not None:
            replies = [r for r in replies if f"post:{r.id}" in self.restrict]
            if f"post:{post.id}" not in self.restrict:
                return
            count = len(replies)  # the count a rebuild shows is of what it still holds
        for p in (post, *replies):
            self.consent.credit_post(p)
        data = post_json(post)
        data["replyCount"] = count
        data["replies"] = [post_json(r) for r in replies]
        yield from self._emit("posts", data)

    def _questions(self, session: Session) -> Iterator[Record]:
        if self.questions is None:
            return

        def fetch(cursor):
            page = self.questions.list_questions(session.id, "top", ["approved"], None, PAGE, cursor)
            return page.items, page.next_cursor

        for q in pages(fetch):
            if q.status != "approved" or not self.consent.allows(q.asker_id):
                continue
            if self.restrict is not None and f"question:{q.id}" not in self.restrict:
                continue
            if not q.anonymous:
                self.consent.credit(q.asker_id, q.asker_name)
            yield from self._emit(
                "questions",
                {
                    "id": q.id,
                    "text": q.text,
                    "asker": None if q.anonymous else {"displayName": q.asker_name},
                    "votes": q.votes,
                    "answered": q.answered,
                },
            )

    def _resources(self, scope: str) -> Iterator[Record]:
        if self._own_links:
            ranked = sorted(self._links.values(), key=lambda rs: (-len(rs[1]), rs[0].url))
            shared = [(r.url, r.kind, r.doi, len(who)) for r, who in ranked]
        elif self.resources is None:
            return
        else:

            def fetch(cursor):
                page = self.resources.ranked(scope, PAGE, cursor)
                return page.items, page.next_cursor

            # Resources are few (one per distinct link of a session): cheap to hold for two passes.
            shared = [(r.url, r.kind, r.doi, r.shares) for r in pages(fetch)]
        for url, kind, doi, shares in shared:
            yield from self._emit("resources", {"url": url, "kind": kind, "doi": doi, "shares": shares})
        for url, _, doi, shares in shared:  # the papers again, as a reading list
            if doi:
                yield from self._emit(
                    "readingList",
                    {"doi": doi, "url": DOI_BASE + doi, "shares": shares, "citation": citation(doi, url)},
                )
