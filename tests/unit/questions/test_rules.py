"""Question rules: who sees a question and its asker, what pre-moderation does, who may moderate and vote."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from backchannel.conference.model import ATTENDEE, ORGANISER, Membership
from backchannel.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backchannel.core.model import Caller, Page
from backchannel.questions import rules as qs
from backchannel.questions.model import Question, QuestionSettings, Viewer
from tests.support.fakes import MemoryStore, a_session, an_event, put_once

NOW = dt.datetime(2030, 5, 18, 9, 30, tzinfo=dt.UTC)
ALICE, BOB, OLGA = (
    Caller("alice", "alice"),
    Caller("bob", "bob"),
    Caller("olga", "olga", frozenset({"organisers"})),
)


def question(**overrides) -> Question:
    values = dict(
        id="01Q",
        event_id="E",
        session_id="S",
        asker_id="alice",
        asker_name="alice",
        text="Why?",
        anonymous=False,
        status=qs.APPROVED,
        created_at="t",
        updated_at="t",
    )
    values.update(overrides)
    return Question(**values)


ANYONE = Viewer(None, False)
ASKER = Viewer(ALICE, False)
OTHER = Viewer(BOB, False)
ORGANISER_VIEW = Viewer(OLGA, True)


@pytest.mark.parametrize(
    ("status", "seen_by"),
    [
        (qs.APPROVED, {"anyone", "asker", "other", "organiser"}),
        (qs.PENDING, {"asker", "organiser"}),
        (qs.HIDDEN, {"organiser"}),
    ],
)
def test_who_sees_a_question(status, seen_by):
    viewers = {"anyone": ANYONE, "asker": ASKER, "other": OTHER, "organiser": ORGANISER_VIEW}
    q = question(status=status)
    assert {name for name, v in viewers.items() if qs.can_see(q, v)} == seen_by


def test_anonymous_questions_show_their_asker_only_to_organisers_and_the_asker():
    named, anonymous = question(), question(anonymous=True)
    assert all(qs.shows_asker(named, v) for v in (ANYONE, ASKER, OTHER, ORGANISER_VIEW))
    assert [qs.shows_asker(anonymous, v) for v in (ANYONE, ASKER, OTHER, ORGANISER_VIEW)] == [
        False,
        True,
        False,
        True,
    ]
    assert question(anonymous=True).to_json(show_asker=False)["asker"] is None
    assert "alice" not in str(question(anonymous=True).to_json(show_asker=False).values())


def test_pre_moderation_decides_the_initial_status():
    assert qs.initial_status(QuestionSettings("S")) == qs.APPROVED
    assert qs.initial_status(QuestionSettings("S", pre_moderation=True)) == qs.PENDING


def test_lists_read_only_the_partitions_a_viewer_may_see():
    assert qs.list_partitions(ANYONE) == [qs.APPROVED]
    assert qs.list_partitions(OTHER) == [qs.APPROVED, "mine"]
    assert qs.list_partitions(ORGANISER_VIEW) == [qs.APPROVED, qs.PENDING, qs.HIDDEN]


def test_only_approved_questions_take_votes():
    qs.check_votable(question())
    for status in (qs.PENDING, qs.HIDDEN):
        with pytest.raises(Conflict):
            qs.check_votable(question(status=status))


def test_moderation_changes():
    q = question(status=qs.PENDING)
    approved = qs.moderated(q, {"status": "approved"}, NOW)
    assert approved.status == qs.APPROVED and approved.updated_at != q.updated_at
    answered = qs.moderated(approved, {"answered": True}, NOW)
    assert answered.answered and answered.answered_at == "2030-05-18T09:30:00.000Z"
    assert qs.moderated(answered, {"answered": False}, NOW).answered_at is None
    assert qs.moderated(answered, {"answered": True}, NOW) is answered  # nothing to change
    with pytest.raises(ValidationFailed):
        qs.moderated(q, {"status": "pending"}, NOW)


# ---------------------------------------------------------------------------------------------------
# use cases against in-memory stores
# ---------------------------------------------------------------------------------------------------


class MemoryQuestions:
    def __init__(self) -> None:
        self.questions: dict[str, Question] = {}
        self.votes: set[tuple[str, str]] = set()
        self.settings: dict[str, QuestionSettings] = {}

    def put_question(self, q):
        return put_once(self.questions, q)

    def get_question(self, question_id):
        q = self.questions.get(question_id)
        return dataclasses.replace(q) if q else None

    def moderate(self, before, after):
        self.questions[after.id] = dataclasses.replace(after)

    def add_vote(self, q, member_id, at):
        if (q.id, member_id) in self.votes:
            return self.get_question(q.id), False
        self.votes.add((q.id, member_id))
        self.questions[q.id].votes += 1
        return self.get_question(q.id), True

    def remove_vote(self, q, member_id):
        if (q.id, member_id) not in self.votes:
            return False
        self.votes.discard((q.id, member_id))
        self.questions[q.id].votes -= 1
        return True

    def voted(self, member_id, ids):
        return {i for i in ids if (i, member_id) in self.votes}

    def list_questions(self, session_id, sort, partitions, member_id, limit, cursor):
        def readable(q):
            if q.status == qs.PENDING and "mine" in partitions and q.asker_id == member_id:
                return True
            return q.status in partitions

        found = [q for q in self.questions.values() if q.session_id == session_id and readable(q)]
        found.sort(key=(lambda q: (q.votes, q.id)) if sort == "top" else (lambda q: q.id), reverse=True)
        return Page(found[:limit])

    def get_settings(self, session_id):
        return self.settings.get(session_id, QuestionSettings(session_id))

    def put_settings(self, settings):
        self.settings[settings.session_id] = settings


@pytest.fixture
def stores():
    store = MemoryStore()
    store.create_event(an_event("E", hashtag="week"), Membership("E", "olga", {ORGANISER}, "t"))
    store.create_session(a_session("S", "E", title="Keynote"))
    return store, MemoryQuestions()


def _ask(stores, who, text="Why?", **extra):
    store, questions = stores
    return qs.ask(store, questions, who, "S", {"text": text, **extra}, window_days=7, now=NOW)


def test_pre_moderated_questions_wait_for_an_organiser(stores):
    store, questions = stores
    qs.put_settings(store, questions, OLGA, "S", {"preModeration": True}, now=NOW)
    view, created = _ask(stores, ALICE)
    assert created and view.question.status == qs.PENDING
    qid = view.question.id
    with pytest.raises(NotFound):
        qs.get_question(store, questions, BOB, qid)
    assert qs.get_question(store, questions, ALICE, qid).question.id == qid
    assert [v.question.id for v in qs.list_questions(store, questions, BOB, "S", "new", 10, None).items] == []
    assert [
        v.question.id for v in qs.list_questions(store, questions, ALICE, "S", "new", 10, None).items
    ] == [qid]
    with pytest.raises(Conflict):
        qs.vote(store, questions, ALICE, qid, window_days=7, now=NOW)
    qs.moderate(store, questions, OLGA, qid, {"status": "approved"}, now=NOW)
    assert qs.get_question(store, questions, None, qid).question.status == qs.APPROVED


def test_only_organisers_moderate_and_change_settings_and_they_are_asked_first(stores):
    store, questions = stores
    qid = _ask(stores, ALICE)[0].question.id
    store.add_role("E", "bob", ATTENDEE, "t")

    def never_read():
        raise AssertionError("input read before the caller was authorised")

    with pytest.raises(Forbidden):
        qs.moderate(store, questions, BOB, qid, never_read, now=NOW)
    with pytest.raises(Forbidden):
        qs.moderate(store, questions, ALICE, qid, never_read, now=NOW)  # not even its asker
    with pytest.raises(Forbidden):
        qs.put_settings(store, questions, BOB, "S", never_read, now=NOW)
    assert qs.moderate(store, questions, OLGA, qid, {"answered": True}, now=NOW).question.answered


def test_votes_once_per_member_and_withdrawal_is_idempotent(stores):
    store, questions = stores
    qid = _ask(stores, ALICE)[0].question.id
    view, added = qs.vote(store, questions, BOB, qid, window_days=7, now=NOW)
    assert added and view.question.votes == 1 and view.voted
    view, added = qs.vote(store, questions, BOB, qid, window_days=7, now=NOW)
    assert not added and view.question.votes == 1
    qs.withdraw_vote(store, questions, BOB, qid)
    qs.withdraw_vote(store, questions, BOB, qid)
    assert qs.get_question(store, questions, BOB, qid).question.votes == 0


def test_hidden_questions_are_gone_for_everyone_but_organisers(stores):
    store, questions = stores
    qid = _ask(stores, ALICE)[0].question.id
    qs.moderate(store, questions, OLGA, qid, {"status": "hidden"}, now=NOW)
    for who in (None, ALICE, BOB):
        with pytest.raises(NotFound):
            qs.get_question(store, questions, who, qid)
    with pytest.raises(NotFound):
        qs.vote(store, questions, BOB, qid, window_days=7, now=NOW)
    with pytest.raises(Conflict):
        qs.vote(store, questions, OLGA, qid, window_days=7, now=NOW)


def test_text_is_cleaned_and_bounded(stores):
    assert _ask(stores, ALICE, "  spaced  ")[0].question.text == "spaced"
    for bad in ("", "   ", "x" * 301):
        with pytest.raises(ValidationFailed) as err:
            _ask(stores, ALICE, bad)
        assert err.value.errors[0].field == "text"
    assert len(_ask(stores, ALICE, "x" * 300)[0].question.text) == 300
