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
gets 409). Counting is the store's job and must be exact: see ``QuestionsRepo.add_vote``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from backchannel.capture.rules import writable_event
from backchannel.capture.text import TextProblem, clean_text
from backchannel.circulation.blocks import BlockReader, hidden_from
from backchannel.conference.members import ensure_member
from backchannel.conference.model import Membership
from backchannel.conference.rules import membership_of, organised_event, visible_event, visible_session
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from backchannel.core.ids import new_ulid
from backchannel.core.model import Caller, Input, Page, id_not_yours, iso, read_input, utcnow
from backchannel.questions.model import (
    APPROVED,
    HIDDEN,
    MODERATED,
    PENDING,
    QUESTION_MAX_CHARS,
    Question,
    QuestionSettings,
    QuestionView,
    Viewer,
)
from backchannel.questions.store import QuestionsRepo


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


def _viewer(store: ConferenceRepo, event_id: str, caller: Caller | None) -> Viewer:
    return Viewer(caller, is_organiser(membership_of(store, event_id, caller)))


def _view(questions: QuestionsRepo, q: Question, viewer: Viewer) -> QuestionView:
    voted = bool(viewer.member_id) and q.id in questions.voted(viewer.member_id, [q.id])
    return QuestionView(q, shows_asker(q, viewer), voted)


def ask(
    store: ConferenceRepo,
    questions: QuestionsRepo,
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
    if existing.asker_id != caller.member_id:
        raise id_not_yours("question", question.id)
    if not existing.same_content(question):
        raise Conflict(f"question {question.id} exists with other content", field="id")
    return _view(questions, existing, viewer), False


def _visible(store: ConferenceRepo, questions: QuestionsRepo, question_id: str, caller: Caller | None):
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
    store: ConferenceRepo, questions: QuestionsRepo, caller: Caller | None, question_id: str
) -> QuestionView:
    question, viewer = _visible(store, questions, question_id, caller)
    return _view(questions, question, viewer)


def list_questions(
    store: ConferenceRepo,
    questions: QuestionsRepo,
    caller: Caller | None,
    session_id: str,
    sort: str,
    limit: int,
    cursor: str | None,
    blocks: BlockReader | None = None,
) -> Page[QuestionView]:
    """``top``: most votes first, ties newest first; ``new``: newest first. Never the questions of
    members the caller blocked (asked anonymously too)."""
    session, _ = visible_session(store, session_id, caller)
    viewer = _viewer(store, session.event_id, caller)
    page = questions.list_questions(
        session.id, sort, list_partitions(viewer), viewer.member_id, limit, cursor
    )
    voted = questions.voted(viewer.member_id, [q.id for q in page.items]) if viewer.member_id else set()
    hidden = hidden_from(blocks, caller)
    shown = [q for q in page.items if can_see(q, viewer) and q.asker_id not in hidden]
    views = [QuestionView(q, shows_asker(q, viewer), q.id in voted) for q in shown]
    return Page(views, page.next_cursor)


def vote(
    store: ConferenceRepo,
    questions: QuestionsRepo,
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


def withdraw_vote(store: ConferenceRepo, questions: QuestionsRepo, caller: Caller, question_id: str) -> None:
    """Idempotent: withdrawing a vote you never cast (or already withdrew) changes nothing."""
    question, _ = _visible(store, questions, question_id, caller)
    questions.remove_vote(question, caller.member_id)


def moderate(
    store: ConferenceRepo,
    questions: QuestionsRepo,
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
    store: ConferenceRepo, questions: QuestionsRepo, caller: Caller | None, session_id: str
) -> QuestionSettings:
    session, _ = visible_session(store, session_id, caller)
    return questions.get_settings(session.id)


def put_settings(
    store: ConferenceRepo,
    questions: QuestionsRepo,
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
