"""What the questions rules need from persistence (``QuestionsRepo``); ``questions.dynamo`` is the
production one, ``tests/support/fakes.py`` the in-memory one."""

from __future__ import annotations

from typing import Protocol

from backchannel.core.model import Page
from backchannel.questions.model import Question, QuestionSettings


class QuestionsRepo(Protocol):
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
