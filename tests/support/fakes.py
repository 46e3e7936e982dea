"""An in-memory Store with the same contract as the DynamoDB one (uniqueness, optimistic versions),
so domain rules can be tested without AWS."""

from __future__ import annotations

import copy
import datetime as dt

from backchannel.conference.model import Event, Member, Membership, Session
from backchannel.core.errors import BadRequest, Conflict
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


class MemoryStore:
    def __init__(self) -> None:
        self.events: dict[str, Event] = {}
        self.event_tags: dict[str, str] = {}
        self.memberships: dict[tuple[str, str], Membership] = {}
        self.sessions: dict[str, Session] = {}
        self.session_tags: dict[tuple[str, str], str] = {}
        self.members: dict[str, Member] = {}
        self.handles: dict[str, str] = {}

    # events
    def get_event(self, event_id):
        return copy.deepcopy(self.events.get(event_id))

    def create_event(self, event, organiser):
        if event.hashtag.lower() in self.event_tags:
            raise Conflict("hashtag taken", field="hashtag")
        self.event_tags[event.hashtag.lower()] = event.id
        self.events[event.id] = copy.deepcopy(event)
        self.memberships[(event.id, organiser.member_id)] = copy.deepcopy(organiser)

    def update_event(self, before, after):
        if self.events[before.id].version != before.version:
            raise Conflict("changed meanwhile")
        old, new = before.hashtag.lower(), after.hashtag.lower()
        if old != new:
            if new in self.event_tags:
                raise Conflict("hashtag taken", field="hashtag")
            del self.event_tags[old]
            self.event_tags[new] = after.id
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

    def add_role(self, event_id, member_id, role, since):
        m = self.memberships.setdefault((event_id, member_id), Membership(event_id, member_id, set(), since))
        m.roles.add(role)
        return copy.deepcopy(m)

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

    def create_session(self, session):
        if session.hashtag:
            key = (session.event_id, session.hashtag.lower())
            if key in self.session_tags:
                raise Conflict("hashtag taken", field="hashtag")
            self.session_tags[key] = session.id
        self.sessions[session.id] = copy.deepcopy(session)

    def update_session(self, before, after):
        if self.sessions[before.id].version != before.version:
            raise Conflict("changed meanwhile")
        old = (before.hashtag or "").lower()
        new = (after.hashtag or "").lower()
        if old != new:
            if new and (after.event_id, new) in self.session_tags:
                raise Conflict("hashtag taken", field="hashtag")
            self.session_tags.pop((before.event_id, old), None)
            if new:
                self.session_tags[(after.event_id, new)] = after.id
        self.sessions[after.id] = copy.deepcopy(after)

    def delete_session(self, session):
        self.sessions.pop(session.id, None)
        if session.hashtag:
            self.session_tags.pop((session.event_id, session.hashtag.lower()), None)

    def list_sessions(self, event_id, limit, cursor):
        items = sorted(
            (s for s in self.sessions.values() if s.event_id == event_id),
            key=lambda s: (s.starts_at.astimezone(dt.UTC), s.id),
        )
        return _page(items, limit, cursor, lambda s: s.id)

    # stars
    def star_session(self, member_id, session, at):
        self.stars = getattr(self, "stars", set())
        self.stars.add((member_id, session.event_id, session.id))

    def unstar_session(self, member_id, session):
        getattr(self, "stars", set()).discard((member_id, session.event_id, session.id))

    def starred_sessions(self, member_id, event_id):
        return {s for m, e, s in getattr(self, "stars", set()) if m == member_id and e == event_id}

    # members
    def get_member(self, member_id):
        return copy.deepcopy(self.members.get(member_id))

    def create_member_if_absent(self, member):
        self.members.setdefault(member.id, copy.deepcopy(member))
        return copy.deepcopy(self.members[member.id])

    def update_member(self, before, after):
        old = (before.handle or "").lower()
        new = (after.handle or "").lower()
        if old != new:
            if new and new in self.handles:
                raise Conflict("handle taken", field="handle")
            self.handles.pop(old, None)
            if new:
                self.handles[new] = after.id
        self.members[after.id] = copy.deepcopy(after)
