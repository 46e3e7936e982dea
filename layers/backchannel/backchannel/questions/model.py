"""Questions and their settings, and what a viewer sees of them. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from backchannel.core.model import Caller, camel_json, same_fields

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
        return same_fields(self, other, "asker_id", "session_id", "text", "anonymous")

    def to_json(self, *, show_asker: bool, voted: bool = False) -> dict:
        return {
            **camel_json(self, "id", "event_id", "session_id", "text", "anonymous"),
            "asker": {"id": self.asker_id, "displayName": self.asker_name} if show_asker else None,
            **camel_json(self, "status", "answered", "answered_at", "votes"),
            "voted": voted,
            **camel_json(self, "created_at", "updated_at"),
        }


@dataclass(frozen=True)
class QuestionSettings:
    session_id: str
    pre_moderation: bool = False
    updated_at: str | None = None

    def to_json(self) -> dict:
        return camel_json(self, "session_id", "pre_moderation", "updated_at")


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
