"""Domain events of moderation (see ``messaging.domain_events``; the items' own rules, such as a post's
``PostHidden``, are there): a report filed, every action an organiser takes (from its audit entry),
and a member muted or unmuted. No free text travels: a report's comment and an action's reason stay in
the table, readable by the event's organisers."""

from __future__ import annotations

from backchannel.messaging.changes import Change, DomainEvent, Rule, public_fields


def _report_rule(c: Change) -> list[DomainEvent]:
    """A report filed (or filed again by the same member): ``ContentReported``."""
    new = c.new
    if new is None or (c.old is not None and c.old.get("reportedAt") == new.get("reportedAt")):
        return []
    fields = public_fields(new, ("eventId", "itemType", "itemId", "reason", "reportedAt"))
    return [c.event("ContentReported", fields, [f"event/{new.get('eventId')}"])]


AUDIT_FIELDS = ("id", "eventId", "actorId", "action", "itemType", "itemId", "memberId", "at", "until")


def _audit_rule(c: Change) -> list[DomainEvent]:
    """Every moderation action is logged once, and announced once: ``ModerationActionTaken``."""
    if c.old is not None or c.new is None:
        return []
    resources = [f"event/{c.new.get('eventId')}"]
    if c.new.get("memberId"):
        resources.append(f"member/{c.new['memberId']}")
    return [c.event("ModerationActionTaken", public_fields(c.new, AUDIT_FIELDS), resources)]


def _mute_rule(c: Change) -> list[DomainEvent]:
    current = c.current
    resources = [f"event/{current.get('eventId')}", f"member/{current.get('memberId')}"]
    if c.new is None:
        return [c.event("MemberUnmuted", public_fields(current, ("eventId", "memberId")), resources)]
    return [c.event("MemberMuted", public_fields(c.new, ("eventId", "memberId", "until", "at")), resources)]


def _nothing(_: Change) -> list[DomainEvent]:
    return []


RULES: dict[str, Rule] = {
    "Report": _report_rule,
    "ReportedItem": _nothing,  # the queue's bookkeeping: reports and actions are the news
    "AuditEntry": _audit_rule,
    "Mute": _mute_rule,
}
