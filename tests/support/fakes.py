"""In-memory repositories with the same contract as the DynamoDB ones, so domain rules can be tested
without AWS: ``MemoryStore`` (a ``ConferenceRepo``: uniqueness, optimistic versions) and
``MemoryCapture`` (a ``CaptureRepo``: replays, If-Match versions, summary versions). The contract tests
in ``tests/integration/*/test_repo_contract.py`` run the same cases against both implementations."""

from __future__ import annotations

import copy
import datetime as dt

from backchannel.capture.model import Note, Post, Summary
from backchannel.conference.model import Event, Member, Membership, Session
from backchannel.core.errors import BadRequest, Conflict, PreconditionFailed
from backchannel.core.model import Page


def _page(items: list, limit: int, cursor: str | None, key) -> Page:
    keys = [key(i) for i in items]
    start = 0
    if cursor is not None:
        if cursor not in keys:
            raise BadRequest("cursor is not valid for this list")
        start = keys.index(cursor) + 1
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return Page([copy.deepcopy(i) for i in chunk], key(chunk[-1]) if more and chunk else None)


def an_event(event_id: str = "E", **fields) -> Event:
    """An event (public, 18-19 May 2030, UTC) with ``fields`` changed; its hashtag is its id unless
    given."""
    values = dict(
        id=event_id,
        name=f"Event {event_id}",
        hashtag=event_id,
        starts_on=dt.date(2030, 5, 18),
        ends_on=dt.date(2030, 5, 19),
        timezone="UTC",
        visibility="public",
        created_by="olga",
        created_at="2030-01-01T00:00:00.000Z",
        updated_at="2030-01-01T00:00:00.000Z",
    )
    values.update(fields)
    return Event(**values)


def a_session(session_id: str = "S", event_id: str = "E", **fields) -> Session:
    """A session of ``event_id`` (an hour from 09:00 UTC on 18 May 2030) with ``fields`` changed."""
    start = fields.pop("starts_at", dt.datetime(2030, 5, 18, 9, tzinfo=dt.UTC))
    values = dict(
        id=session_id,
        event_id=event_id,
        title=f"Session {session_id}",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        created_at="2030-01-01T00:00:00.000Z",
        updated_at="2030-01-01T00:00:00.000Z",
    )
    values.update(fields)
    return Session(**values)


class MemoryStore:
    def __init__(self) -> None:
        self.events: dict[str, Event] = {}
        self.event_tags: dict[str, str] = {}
        self.memberships: dict[tuple[str, str], Membership] = {}
        self.sessions: dict[str, Session] = {}
        self.session_tags: dict[tuple[str, str], str] = {}
        self.members: dict[str, Member] = {}
        self.handles: dict[str, str] = {}
        self.stars: set[tuple[str, str, str]] = set()  # (member, event, session)
        self.mutes: dict[tuple[str, str], object] = {}  # (event, member) -> Mute

    # events
    def get_event(self, event_id):
        return copy.deepcopy(self.events.get(event_id))

    @staticmethod
    def _claim(claims: dict, old, new, owner: str, field: str) -> None:
        """Move a unique claim (a hashtag, a handle) from key ``old`` to key ``new`` (None: no claim); a
        Conflict naming ``field`` when the new one is held already."""
        if old == new:
            return
        if new is not None and new in claims:
            raise Conflict(f"{field} taken", field=field)
        claims.pop(old, None)
        if new is not None:
            claims[new] = owner

    def create_event(self, event, organiser):
        self._claim(self.event_tags, None, event.hashtag.lower(), event.id, "hashtag")
        self.events[event.id] = copy.deepcopy(event)
        self.memberships[(event.id, organiser.member_id)] = copy.deepcopy(organiser)

    def update_event(self, before, after):
        if self.events[before.id].version != before.version:
            raise Conflict("changed meanwhile")
        self._claim(self.event_tags, before.hashtag.lower(), after.hashtag.lower(), after.id, "hashtag")
        self.events[after.id] = copy.deepcopy(after)

    def list_public_events(self, ending_on_or_after: dt.date, limit, cursor):
        items = sorted(
            (e for e in self.events.values() if e.visibility == "public" and e.ends_on >= ending_on_or_after),
            key=lambda e: (e.ends_on, e.id),
        )
        return _page(items, limit, cursor, lambda e: e.id)

    def get_events(self, event_ids):
        return {i: copy.deepcopy(self.events[i]) for i in event_ids if i in self.events}

    # memberships
    def get_membership(self, event_id, member_id):
        return copy.deepcopy(self.memberships.get((event_id, member_id)))

    def add_role(self, event_id, member_id, role, since, *, conduct_url=None):
        m = self.memberships.setdefault((event_id, member_id), Membership(event_id, member_id, set(), since))
        m.roles.add(role)
        if conduct_url is not None:
            m.conduct_url, m.conduct_accepted_at = conduct_url, since
        return copy.deepcopy(m)

    def get_mute(self, event_id, member_id):
        return copy.deepcopy(self.mutes.get((event_id, member_id)))

    def list_mutes(self, event_id, limit, cursor):
        found = sorted((m for (e, _), m in self.mutes.items() if e == event_id), key=lambda m: m.member_id)
        return _page(found, limit, cursor, lambda m: m.member_id)

    def remove_role(self, event_id, member_id, role):
        m = self.memberships.get((event_id, member_id))
        if m is None:
            return None
        m.roles.discard(role)
        if not m.roles:
            del self.memberships[(event_id, member_id)]
            return None
        return copy.deepcopy(m)

    def list_memberships(self, member_id, limit, cursor):
        items = sorted(
            (m for m in self.memberships.values() if m.member_id == member_id), key=lambda m: m.event_id
        )
        return _page(items, limit, cursor, lambda m: m.event_id)

    # sessions
    def get_session(self, session_id):
        return copy.deepcopy(self.sessions.get(session_id))

    @staticmethod
    def _session_tag(session):
        return (session.event_id, session.hashtag.lower()) if session.hashtag else None

    def create_session(self, session):
        self._claim(self.session_tags, None, self._session_tag(session), session.id, "hashtag")
        self.sessions[session.id] = copy.deepcopy(session)

    def update_session(self, before, after):
        if self.sessions[before.id].version != before.version:
            raise Conflict("changed meanwhile")
        old, new = self._session_tag(before), self._session_tag(after)
        self._claim(self.session_tags, old, new, after.id, "hashtag")
        self.sessions[after.id] = copy.deepcopy(after)

    def delete_session(self, session):
        self.sessions.pop(session.id, None)
        self.session_tags.pop(self._session_tag(session), None)

    def list_sessions(self, event_id, limit, cursor):
        items = sorted(
            (s for s in self.sessions.values() if s.event_id == event_id),
            key=lambda s: (s.starts_at.astimezone(dt.UTC), s.id),
        )
        return _page(items, limit, cursor, lambda s: s.id)

    # stars
    def star_session(self, member_id, session, at):
        self.stars.add((member_id, session.event_id, session.id))

    def unstar_session(self, member_id, session):
        self.stars.discard((member_id, session.event_id, session.id))

    def starred_sessions(self, member_id, event_id):
        return {s for m, e, s in self.stars if m == member_id and e == event_id}

    # members
    def get_member(self, member_id):
        return copy.deepcopy(self.members.get(member_id))

    def create_member_if_absent(self, member):
        self.members.setdefault(member.id, copy.deepcopy(member))
        return copy.deepcopy(self.members[member.id])

    def update_member(self, before, after):
        if self.members[before.id].updated_at != before.updated_at:
            raise Conflict("your profile was changed meanwhile: read it again and retry")
        old, new = ((m.handle or "").lower() or None for m in (before, after))
        self._claim(self.handles, old, new, after.id, "handle")
        self.members[after.id] = copy.deepcopy(after)


_BEFORE = "before:"


def _newest_first(items, key, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """A page of ``items`` newest first by ``key``, all strictly older than the cursor's position (as
    the DynamoDB lists resume below the last item shown), and the next page's cursor."""
    if cursor is not None and not cursor.startswith(_BEFORE):
        raise BadRequest("cursor is not valid for this list: start again without it", field="cursor")
    below = cursor[len(_BEFORE) :] if cursor else None
    ordered = sorted((i for i in items if below is None or key(i) < below), key=key, reverse=True)
    chunk = ordered[:limit]
    following = _BEFORE + key(chunk[-1]) if len(ordered) > limit and chunk else None
    return [copy.deepcopy(i) for i in chunk], following


def put_once(records: dict, record):
    """Store ``record`` under its id, unless that id is taken: then return the stored one and write
    nothing (how the DynamoDB repositories answer a replayed client id)."""
    if record.id in records:
        return copy.deepcopy(records[record.id])
    records[record.id] = copy.deepcopy(record)
    return None


def _note_partition(note: Note) -> str:
    return f"private#{note.author_id}" if note.visibility == "private" else note.visibility


class MemoryCapture:
    """The in-memory ``CaptureRepo``. Session hashtags are read from the conference store it is given
    (in DynamoDB they are claim items of the same table). Feed shards change nothing observable, so
    there is one list per event."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.posts: dict[str, Post] = {}
        self.notes: dict[str, Note] = {}
        self.drafts: dict[str, Summary] = {}
        self.versions: dict[tuple[str, int], Summary] = {}

    # posts
    def put_post(self, post, shards=1):
        return put_once(self.posts, post)

    def get_post(self, post_id):
        return copy.deepcopy(self.posts.get(post_id.upper()))

    def delete_post(self, post):
        self.posts.pop(post.id, None)

    def _posts(self, *, event_id=None, session_id=None) -> list[Post]:
        return [
            p
            for p in self.posts.values()
            if (event_id is None or p.event_id == event_id)
            and (session_id is None or p.session_id == session_id)
        ]

    @staticmethod
    def _since(posts: list[Post], limit: int, after: str) -> list[Post]:
        oldest = sorted((p for p in posts if p.seq > after), key=lambda p: p.seq)[:limit]
        return [copy.deepcopy(p) for p in reversed(oldest)]

    def event_posts(self, event_id, shards, limit, cursor):
        return _newest_first(self._posts(event_id=event_id), lambda p: p.seq, limit, cursor)

    def event_posts_since(self, event_id, shards, limit, after):
        return self._since(self._posts(event_id=event_id), limit, after)

    def session_posts(self, session_id, shards, limit, cursor):
        return _newest_first(self._posts(session_id=session_id), lambda p: p.seq, limit, cursor)

    def session_posts_since(self, session_id, shards, limit, after):
        return self._since(self._posts(session_id=session_id), limit, after)

    def session_for_hashtags(self, event_id, hashtags):
        for tag in hashtags[:100]:
            owner = self.store.session_tags.get((event_id, tag.lower()))
            if owner:
                return owner
        return None

    # notes
    def put_note(self, note):
        return put_once(self.notes, note)

    def get_note(self, note_id):
        return copy.deepcopy(self.notes.get(note_id.upper()))

    def replace_note(self, before, after):
        stored = self.notes.get(before.id)
        if stored is None or stored.version != before.version:
            raise PreconditionFailed("the note changed since you read it: read it again")
        self.notes[after.id] = copy.deepcopy(after)

    def delete_note(self, note):
        self.notes.pop(note.id, None)

    def session_notes(self, session_id, partitions, limit, cursor):
        found = [
            n for n in self.notes.values() if n.session_id == session_id and _note_partition(n) in partitions
        ]
        return Page(*_newest_first(found, lambda n: n.id, limit, cursor))

    def member_notes(self, member_id, limit, cursor):
        found = [n for n in self.notes.values() if n.author_id == member_id]
        return Page(*_newest_first(found, lambda n: n.id, limit, cursor))

    # summaries
    def latest_summary(self, session_id):
        found = [s for (sid, _), s in self.versions.items() if sid == session_id]
        return copy.deepcopy(max(found, key=lambda s: s.version)) if found else None

    def summary_draft(self, session_id):
        return copy.deepcopy(self.drafts.get(session_id))

    def save_summary_draft(self, summary):
        self.drafts[summary.session_id] = copy.deepcopy(summary)

    def publish_summary(self, summary):
        key = (summary.session_id, summary.version)
        if key in self.versions:
            raise Conflict("another version was published at the same moment: read it and retry")
        self.versions[key] = copy.deepcopy(summary)
        self.drafts.pop(summary.session_id, None)

    def summary_versions(self, session_id, limit, cursor):
        found = [s for (sid, _), s in self.versions.items() if sid == session_id]
        return Page(*_newest_first(found, lambda s: f"{s.version:06d}", limit, cursor))
