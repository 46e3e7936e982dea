"""Questions per session: ask (optionally without your name), vote once, moderate, mark answered.

Who sees what:
- ``approved`` questions: everyone who may see the session.
- ``pending`` questions (the session pre-moderates and no organiser has approved them yet): the event's
  organisers and the asker.
- ``hidden`` questions (an organiser hid them): the event's organisers only.
Anyone else is told 404, as if the question did not exist.

An anonymous question is shown without its asker; the asker's id is stored for moderation and shown
only to the event's organisers (and to the asker, who knows it anyway).

Voting: one vote per member, on approved questions only (a visible question that is pending or hidden
gets 409). Counting is the store's job and must be exact: see ``QuestionStore.add_vote``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from backchannel.domain.capture import writable_event
from backchannel.domain.events import organised_event, visible_event, visible_session
from backchannel.domain.members import ensure_member
from backchannel.domain.model import Caller, Input, Membership, Page, iso, read_input, utcnow
from backchannel.domain.store import Store
from backchannel.domain.text import TextProblem, clean_text
from backchannel.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from backchannel.ids import new_ulid

QUESTION_MAX_CHARS = 300
PENDING = "pending"
APPROVED = "approved"
HIDDEN = "hidden"
STATUSES = (PENDING, APPROVED, HIDDEN)
SORTS = ("top", "new")
MODERATED = (APPROVED, HIDDEN)  # what an organiser may set


@dataclass
class Question:
    id: str
    event_id: str
    session_id: str
    asker_id: str
    asker_name: str
    text: str
    anonymous: bool
    status: str
    created_at: str
    updated_at: str
    answered: bool = False
    answered_at: str | None = None
    votes: int = 0

    def same_content(self, other: Question) -> bool:
        """A replayed client id carries the same question: same asker, session, words and anonymity."""
        return (self.asker_id, self.session_id, self.text, self.anonymous) == (
            other.asker_id,
            other.session_id,
            other.text,
            other.anonymous,
        )

    def to_json(self, *, show_asker: bool, voted: bool = False) -> dict:
        return {
            "id": self.id,
            "eventId": self.event_id,
            "sessionId": self.session_id,
            "text": self.text,
            "anonymous": self.anonymous,
            "asker": {"id": self.asker_id, "displayName": self.asker_name} if show_asker else None,
            "status": self.status,
            "answered": self.answered,
            "answeredAt": self.answered_at,
            "votes": self.votes,
            "voted": voted,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass(frozen=True)
class QuestionSettings:
    session_id: str
    pre_moderation: bool = False
    updated_at: str | None = None

    def to_json(self) -> dict:
        return {
            "sessionId": self.session_id,
            "preModeration": self.pre_moderation,
            "updatedAt": self.updated_at,
        }


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a session's questions, and in which role."""

    caller: Caller | None
    organiser: bool

    @property
    def member_id(self) -> str | None:
        return self.caller.member_id if self.caller else None


@dataclass(frozen=True)
class QuestionView:
    """A question as one viewer may see it."""

    question: Question
    show_asker: bool
    voted: bool

    def to_json(self) -> dict:
        return self.question.to_json(show_asker=self.show_asker, voted=self.voted)


class QuestionStore(Protocol):
    def put_question(self, question: Question) -> Question | None:
        """Store a new question; if its id exists already, return the stored one (nothing written)."""

    def get_question(self, question_id: str) -> Question | None: ...

    def moderate(self, before: Question, after: Question) -> None:
        """Change status/answered (never the vote count); Conflict if the status changed meanwhile."""

    def add_vote(self, question: Question, member_id: str, at: str) -> tuple[Question, bool]:
        """Record a vote exactly once; (question as now stored, True) or (..., False) if already voted.
        Conflict if the question is no longer approved."""

    def remove_vote(self, question: Question, member_id: str) -> bool:
        """Withdraw a vote exactly once; False if there was none."""

    def voted(self, member_id: str, question_ids: list[str]) -> set[str]:
        """Which of these questions the member has voted for."""

    def list_questions(
        self,
        session_id: str,
        sort: str,
        partitions: list[str],
        member_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Question]: ...

    def get_settings(self, session_id: str) -> QuestionSettings: ...
    def put_settings(self, settings: QuestionSettings) -> None: ...


# ---------------------------------------------------------------------------------------------------
# pure rules
# ---------------------------------------------------------------------------------------------------


def is_organiser(membership: Membership | None) -> bool:
    return membership is not None and membership.is_organiser


def can_see(question: Question, viewer: Viewer) -> bool:
    if question.status == APPROVED:
        return True
    if viewer.organiser:
        return True
    return (
        question.status == PENDING and viewer.member_id is not None and viewer.member_id == question.asker_id
    )


def shows_asker(question: Question, viewer: Viewer) -> bool:
    """Named questions show their asker to all; anonymous ones only to organisers and the asker."""
    if not question.anonymous or viewer.organiser:
        return True
    return viewer.member_id is not None and viewer.member_id == question.asker_id


def initial_status(settings: QuestionSettings) -> str:
    return PENDING if settings.pre_moderation else APPROVED


def check_votable(question: Question) -> None:
    if question.status != APPROVED:
        raise Conflict(f"question {question.id} is {question.status}: only approved questions take votes")


def list_partitions(viewer: Viewer) -> list[str]:
    """The index partitions a viewer's list reads: only what they may see is read at all."""
    if viewer.organiser:
        return [APPROVED, PENDING, HIDDEN]
    if viewer.caller is not None:
        return [APPROVED, "mine"]  # "mine": the caller's own pending questions
    return [APPROVED]


def moderated(question: Question, changes: dict, now: dt.datetime) -> Question:
    """The question after an organiser's change: ``status`` approved or hidden, ``answered`` a bool."""
    values: dict = {}
    if changes.get("status") is not None:
        if changes["status"] not in MODERATED:
            raise ValidationFailed(FieldError("status", "must be one of " + ", ".join(MODERATED)))
        values["status"] = changes["status"]
    if changes.get("answered") is not None and changes["answered"] != question.answered:
        values["answered"] = changes["answered"]
        values["answered_at"] = iso(now) if changes["answered"] else None
    if not values:
        return question
    return dataclasses.replace(question, **values, updated_at=iso(now))


def _text(value: str) -> str:
    try:
        return clean_text(value, max_chars=QUESTION_MAX_CHARS, multiline=True)
    except TextProblem as problem:
        raise ValidationFailed(FieldError("text", problem.message)) from None


# ---------------------------------------------------------------------------------------------------
# use cases
# ---------------------------------------------------------------------------------------------------


def _viewer(store: Store, event_id: str, caller: Caller | None) -> Viewer:
    membership = store.get_membership(event_id, caller.member_id) if caller else None
    return Viewer(caller, is_organiser(membership))


def _view(questions: QuestionStore, q: Question, viewer: Viewer) -> QuestionView:
    voted = bool(viewer.member_id) and q.id in questions.voted(viewer.member_id, [q.id])
    return QuestionView(q, shows_asker(q, viewer), voted)


def ask(
    store: Store,
    questions: QuestionStore,
    caller: Caller,
    session_id: str,
    data: Input,
    *,
    window_days: int,
    now: dt.datetime | None = None,
) -> tuple[QuestionView, bool]:
    """The question and whether it was created now (False: a replay of a client id already stored)."""
    now = now or utcnow()
    session, _ = visible_session(store, session_id, caller)
    _, membership = writable_event(store, caller, session.event_id, window_days=window_days, now=now)
    data = read_input(data)
    text = _text(data["text"])
    settings = questions.get_settings(session.id)
    member = ensure_member(store, caller)
    stamp = iso(now)
    question = Question(
        id=(data.get("id") or new_ulid()).upper(),
        event_id=session.event_id,
        session_id=session.id,
        asker_id=caller.member_id,
        asker_name=member.display_name,
        text=text,
        anonymous=bool(data.get("anonymous", False)),
        status=initial_status(settings),
        created_at=stamp,
        updated_at=stamp,
    )
    viewer = Viewer(caller, is_organiser(membership))
    existing = questions.put_question(question)
    if existing is None:
        return QuestionView(question, True, False), True
    if not existing.same_content(question):
        raise Conflict(f"question {question.id} exists with other content", field="id")
    return _view(questions, existing, viewer), False


def _visible(store: Store, questions: QuestionStore, question_id: str, caller: Caller | None):
    """The question and the viewer if the caller may see it; otherwise 404 (no leaks)."""
    question = questions.get_question(question_id)
    if question is not None:
        try:
            visible_event(store, question.event_id, caller)
        except NotFound:
            question = None
    viewer = _viewer(store, question.event_id, caller) if question else None
    if question is None or viewer is None or not can_see(question, viewer):
        raise NotFound(f"question {question_id} not found")
    return question, viewer


def get_question(
    store: Store, questions: QuestionStore, caller: Caller | None, question_id: str
) -> QuestionView:
    question, viewer = _visible(store, questions, question_id, caller)
    return _view(questions, question, viewer)


def list_questions(
    store: Store,
    questions: QuestionStore,
    caller: Caller | None,
    session_id: str,
    sort: str,
    limit: int,
    cursor: str | None,
) -> Page[QuestionView]:
    """``top``: most votes first, ties newest first; ``new``: newest first."""
    session, _ = visible_session(store, session_id, caller)
    viewer = _viewer(store, session.event_id, caller)
    page = questions.list_questions(
        session.id, sort, list_partitions(viewer), viewer.member_id, limit, cursor
    )
    voted = questions.voted(viewer.member_id, [q.id for q in page.items]) if viewer.member_id else set()
    views = [QuestionView(q, shows_asker(q, viewer), q.id in voted) for q in page.items if can_see(q, viewer)]
    return Page(views, page.next_cursor)


def vote(
    store: Store,
    questions: QuestionStore,
    caller: Caller,
    question_id: str,
    *,
    window_days: int,
    now: dt.datetime | None = None,
) -> tuple[QuestionView, bool]:
    """Vote once: (question, True) the first time, (question, False) when the vote was there already."""
    now = now or utcnow()
    question, viewer = _visible(store, questions, question_id, caller)
    writable_event(store, caller, question.event_id, window_days=window_days, now=now)
    check_votable(question)
    after, added = questions.add_vote(question, caller.member_id, iso(now))
    return QuestionView(after, shows_asker(after, viewer), True), added


def withdraw_vote(store: Store, questions: QuestionStore, caller: Caller, question_id: str) -> None:
    """Idempotent: withdrawing a vote you never cast (or already withdrew) changes nothing."""
    question, _ = _visible(store, questions, question_id, caller)
    questions.remove_vote(question, caller.member_id)


def moderate(
    store: Store,
    questions: QuestionStore,
    caller: Caller,
    question_id: str,
    data: Input,
    *,
    now: dt.datetime | None = None,
) -> QuestionView:
    """Organisers of the event approve or hide a question and mark it answered."""
    question, viewer = _visible(store, questions, question_id, caller)
    if not viewer.organiser:
        raise Forbidden("only the event's organisers may moderate questions")
    after = moderated(question, read_input(data), now or utcnow())
    if after is not question:
        questions.moderate(question, after)
    return _view(questions, after, viewer)


def get_settings(
    store: Store, questions: QuestionStore, caller: Caller | None, session_id: str
) -> QuestionSettings:
    session, _ = visible_session(store, session_id, caller)
    return questions.get_settings(session.id)


def put_settings(
    store: Store,
    questions: QuestionStore,
    caller: Caller,
    session_id: str,
    data: Input,
    *,
    now: dt.datetime | None = None,
) -> QuestionSettings:
    session, _ = visible_session(store, session_id, caller)
    organised_event(store, session.event_id, caller)
    data = read_input(data)
    settings = QuestionSettings(session.id, bool(data["preModeration"]), iso(now or utcnow()))
    questions.put_settings(settings)
    return settings
