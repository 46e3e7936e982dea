"""Reports, the moderation queue's entries, and the audit log, with their public JSON shape."""

from __future__ import annotations

from dataclasses import dataclass, field

from backchannel.core.model import camel_json

ITEM_TYPES = ("post", "note", "question")


REASONS = ("harassment", "spam", "off-topic", "privacy", "other")


# What the audit log records (``<subject>.<what happened>``).
ACTIONS = (
    "post.hidden",
    "post.unhidden",
    "post.approved",
    "note.hidden",
    "note.unhidden",
    "question.hidden",
    "question.unhidden",
    "reports.dismissed",
    "member.muted",
    "member.unmuted",
    "member.removed",
)


@dataclass
class Report:
    """One member's report of an item (a member reporting the same item again replaces their report)."""

    event_id: str
    item_type: str
    item_id: str
    reporter_id: str
    reason: str
    reported_at: str
    comment: str | None = None

    def to_json(self) -> dict:
        return {
            **camel_json(self, "event_id", "item_type", "item_id", "reason", "comment", "reported_at"),
            "reporterId": self.reporter_id,
        }


@dataclass
class ReportedItem:
    """An item's open reports, as one entry of the organisers' queue: the reporters since it was
    (re)opened, the newest report's time, and the item's author."""

    event_id: str
    item_type: str
    item_id: str
    author_id: str
    opened_at: str
    last_reported_at: str
    reporters: set[str] = field(default_factory=set)
    status: str = "open"  # open | dismissed | actioned


@dataclass
class AuditEntry:
    """One moderation action: who (``actor_id``), what (``action`` on an item or a member), when and
    why. Actor and subject are member ids, so that an erasure can make them opaque."""

    id: str
    event_id: str
    actor_id: str
    action: str
    at: str
    reason: str | None = None
    item_type: str | None = None
    item_id: str | None = None
    member_id: str | None = None  # whose item it was, or who was muted or removed
    until: str | None = None

    def to_json(self) -> dict:
        return camel_json(
            self,
            "id",
            "event_id",
            "actor_id",
            "action",
            "item_type",
            "item_id",
            "member_id",
            "reason",
            "at",
            "until",
        )

    def notice_json(self) -> dict:
        """What its subject sees of it (``GET /me/moderation``): what and why, not which organiser."""
        return camel_json(self, "id", "event_id", "action", "item_type", "item_id", "reason", "at", "until")
