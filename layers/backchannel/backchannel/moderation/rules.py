"""Moderation rules: who may report what, the organisers' queue, and the actions an event's organisers
take (hide, unhide and approve items, dismiss reports, mute and remove members), each logged.

- A report is filed by a signed-in member who can see the item, in the event it belongs to (anything
  else is the same 404 or 422 as an unknown id).
- Everything else is for the event's organisers: 404 to whoever may not see the event, 403 to its
  other members.
- A hidden item leaves every read path at once (it moves out of the feeds' and lists' index
  partitions); its author still reads it, with the reason, and finds the action in ``GET
  /me/moderation``. The domain events of the change (``PostHidden``, ``NoteHidden``,
  ``QuestionHidden``) take it out of live views, resource counts and packs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from backchannel.capture.model import Moderation, Note, Post
from backchannel.capture.rules import visible_note, visible_post
from backchannel.capture.store import CaptureRepo
from backchannel.conference.model import ATTENDEE, Event, Mute
from backchannel.conference.rules import hidden_as, organised_event, visible_event
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from backchannel.core.ids import new_ulid
from backchannel.core.model import Caller, Input, Page, iso, read_input, utcnow
from backchannel.moderation.model import REASONS, AuditEntry, Report, ReportedItem
from backchannel.moderation.store import ModerationRepo
from backchannel.questions import rules as questions_rules
from backchannel.questions.model import APPROVED, HIDDEN, Question
from backchannel.questions.store import QuestionsRepo

REPORTS_SHOWN = 10  # per item in the queue: the newest


@dataclasses.dataclass(frozen=True)
class Repos:
    """What moderation reads and writes: the event and its members, the items, and its own log."""

    store: ConferenceRepo
    capture: CaptureRepo
    questions: QuestionsRepo
    moderation: ModerationRepo


def _entry(event_id: str, caller: Caller, action: str, now: dt.datetime, **about) -> AuditEntry:
    return AuditEntry(new_ulid(), event_id, caller.member_id, action, iso(now), **about)


# --------------------------------------------------------------------------------------------------
# reports
# --------------------------------------------------------------------------------------------------


def _item(repos: Repos, caller: Caller, item_type: str, item_id: str) -> Post | Note | Question:
    """The item if the caller may see it (NotFound otherwise)."""
    if item_type == "post":
        post = visible_post(repos.store, repos.capture, item_id, caller)
        if post.hidden:  # out of sight for everyone but its author and the organisers
            raise NotFound(f"post {item_id} not found")
        return post
    if item_type == "note":
        return visible_note(repos.store, repos.capture, item_id, caller)
    view = questions_rules.get_question(repos.store, repos.questions, caller, item_id)
    return view.question


def author_of(item: Post | Note | Question) -> str:
    return item.asker_id if isinstance(item, Question) else item.author_id


def report(
    repos: Repos, caller: Caller, event_id: str, data: Input, *, now: dt.datetime | None = None
) -> Report:
    """A member reports a post, note or question of the event they can see."""
    visible_event(repos.store, event_id, caller, need_membership=False)
    data = read_input(data)
    item_type, item_id = data["type"], data["id"].upper()
    try:
        item = _item(repos, caller, item_type, item_id)
    except NotFound:
        item = None
    if item is None or item.event_id != event_id:
        raise ValidationFailed(FieldError("id", f"no {item_type} {item_id} you can see in this event"))
    if author_of(item) == caller.member_id:
        raise ValidationFailed(FieldError("id", f"this {item_type} is yours: delete it instead"))
    filed = Report(
        event_id=event_id,
        item_type=item_type,
        item_id=item_id,
        reporter_id=caller.member_id,
        reason=data["reason"],
        reported_at=iso(now or utcnow()),
        comment=data.get("comment") or None,
    )
    repos.moderation.file_report(filed, author_of(item))
    return filed


def _preview(repos: Repos, entry: ReportedItem) -> dict | None:
    """What the organisers see of a reported item: its text and author (None once it is gone)."""
    if entry.item_type == "post":
        post = repos.capture.get_post(entry.item_id)
        if post is None:
            return None
        text, author, moderation = post.text, post.author_name, post.moderation
    elif entry.item_type == "note":
        note = repos.capture.get_note(entry.item_id)
        if note is None:
            return None
        text, author, moderation = note.body[:1000], note.author_name, note.moderation
    else:
        question = repos.questions.get_question(entry.item_id)
        if question is None:
            return None
        text, author = question.text, question.asker_name
        moderation = Moderation("hidden", "", question.updated_at) if question.status == HIDDEN else None
    return {
        "text": text,
        "author": {"id": entry.author_id, "displayName": author},
        "hidden": moderation is not None and moderation.state == "hidden",
    }


def queue(
    repos: Repos, caller: Caller, event_id: str, limit: int, cursor: str | None
) -> tuple[list[dict], str | None]:
    """The organisers' queue: items with open reports, most recently reported first, each with its
    newest reports and what the item says."""
    organised_event(repos.store, event_id, caller)
    page = repos.moderation.open_reports(event_id, limit, cursor)
    found = []
    for entry in page.items:
        reports = repos.moderation.reports_of(entry, REPORTS_SHOWN)
        reasons = {reason: sum(r.reason == reason for r in reports) for reason in REASONS}
        found.append(
            {
                "itemType": entry.item_type,
                "itemId": entry.item_id,
                "reportCount": len(entry.reporters),
                "reasons": reasons,
                "lastReportedAt": entry.last_reported_at,
                "reports": [r.to_json() for r in reports],
                "item": _preview(repos, entry),
            }
        )
    return found, page.next_cursor


def dismiss(
    repos: Repos, caller: Caller, event_id: str, item_id: str, *, now: dt.datetime | None = None
) -> None:
    """Dismiss an item's open reports: it leaves the queue, and comes back with its next report."""
    organised_event(repos.store, event_id, caller)
    entry = repos.moderation.get_reported(event_id, item_id.upper())
    if entry is None or entry.status != "open":
        raise NotFound(f"no open reports of {item_id} in this event")
    about = {"item_type": entry.item_type, "item_id": entry.item_id}
    repos.moderation.act(
        _entry(event_id, caller, "reports.dismissed", now or utcnow(), **about), close="dismissed"
    )


# --------------------------------------------------------------------------------------------------
# hiding and unhiding
# --------------------------------------------------------------------------------------------------


def _decision(data: Input) -> tuple[bool, str | None]:
    data = read_input(data)
    hidden, reason = data["hidden"], (data.get("reason") or "").strip() or None
    if hidden and reason is None:
        raise ValidationFailed(FieldError("reason", "say why it is hidden: its author is shown the reason"))
    return hidden, reason


def _organiser_of(repos: Repos, caller: Caller, what: str, event_id: str) -> Event:
    with hidden_as(what):
        return organised_event(repos.store, event_id, caller)


def moderate_post(
    repos: Repos, caller: Caller, post_id: str, data: Input, *, now: dt.datetime | None = None
) -> Post:
    """Hide a post (with the reason its author is shown), unhide it, or approve a held post."""
    now = now or utcnow()
    post = repos.capture.get_post(post_id)
    if post is None:
        raise NotFound(f"post {post_id} not found")
    event = _organiser_of(repos, caller, f"post {post_id}", post.event_id)
    hidden, reason = _decision(data)
    state = post.moderation.state if post.moderation else None
    if (hidden and state == "hidden") or (not hidden and state is None):
        return post  # already so: nothing to do, nothing logged
    if hidden:
        after = dataclasses.replace(post, moderation=Moderation("hidden", reason or "", iso(now)))
        action = "post.hidden"
    else:  # a held post is approved: it takes its place at the top of the feeds, as if new
        seq = new_ulid() if state == "held" else post.seq
        after = dataclasses.replace(post, moderation=None, seq=seq)
        action = "post.approved" if state == "held" else "post.unhidden"
    about = {"reason": reason, "item_type": "post", "item_id": post.id, "member_id": post.author_id}
    entry = _entry(event.id, caller, action, now, **about)
    repos.moderation.moderate_post(entry, post, after, close="actioned" if hidden else None)
    return after


def moderate_note(
    repos: Repos, caller: Caller, note_id: str, data: Input, *, now: dt.datetime | None = None
) -> Note:
    """Hide a shared note (with the reason its author is shown), or unhide it. A new version: an edit
    its author began before sees that it changed (412)."""
    now = now or utcnow()
    note = visible_note(repos.store, repos.capture, note_id, caller)
    event = _organiser_of(repos, caller, f"note {note_id}", note.event_id)
    hidden, reason = _decision(data)
    if hidden == note.hidden:
        return note
    moderation = Moderation("hidden", reason or "", iso(now)) if hidden else None
    after = dataclasses.replace(note, moderation=moderation, version=note.version + 1)
    about = {"reason": reason, "item_type": "note", "item_id": note.id, "member_id": note.author_id}
    entry = _entry(event.id, caller, "note.hidden" if hidden else "note.unhidden", now, **about)
    repos.moderation.moderate_note(entry, note, after, close="actioned" if hidden else None)
    return after


def moderate_question(
    repos: Repos, caller: Caller, question_id: str, data: Input, *, now: dt.datetime | None = None
) -> Question:
    """Hide a question, or unhide it (which also approves a pending one): the status that ``PATCH
    /questions/{id}`` sets too, here with a reason and in the audit log."""
    now = now or utcnow()
    question = repos.questions.get_question(question_id)
    if question is None:
        raise NotFound(f"question {question_id} not found")
    event = _organiser_of(repos, caller, f"question {question_id}", question.event_id)
    hidden, reason = _decision(data)
    status = HIDDEN if hidden else APPROVED
    if question.status == status:
        return question
    after = dataclasses.replace(question, status=status, updated_at=iso(now))
    about = {
        "reason": reason,
        "item_type": "question",
        "item_id": question.id,
        "member_id": question.asker_id,
    }
    action = "question.hidden" if hidden else "question.unhidden"
    repos.moderation.moderate_question(
        _entry(event.id, caller, action, now, **about), question, after, close="actioned" if hidden else None
    )
    return after


def held_posts(
    repos: Repos, caller: Caller, event_id: str, limit: int, cursor: str | None
) -> tuple[list[Post], str | None]:
    """Posts waiting for approval in an event that holds them, newest first (organisers)."""
    event = organised_event(repos.store, event_id, caller)
    return repos.capture.held_posts(event.id, event.feed_shards, limit, cursor)


# --------------------------------------------------------------------------------------------------
# members: mutes and removals
# --------------------------------------------------------------------------------------------------


def _subject(repos: Repos, event: Event, caller: Caller, member_id: str) -> None:
    membership = repos.store.get_membership(event.id, member_id)
    if member_id == caller.member_id or (membership is not None and membership.is_organiser):
        raise Conflict("an organiser of the event cannot be muted or removed")
    if repos.store.get_member(member_id) is None:
        raise NotFound(f"member {member_id} not found")


def mute(
    repos: Repos,
    caller: Caller,
    event_id: str,
    member_id: str,
    data: Input,
    *,
    now: dt.datetime | None = None,
) -> Mute:
    """Mute a member in the event: they read, but write nothing there until ``until`` (or until it is
    lifted). Muting again replaces the mute."""
    now = now or utcnow()
    event = organised_event(repos.store, event_id, caller)
    _subject(repos, event, caller, member_id)
    data = read_input(data)
    until = data.get("until")
    if until is not None and until <= now:
        raise ValidationFailed(FieldError("until", "must be in the future"))
    muted = Mute(
        event.id, member_id, data["reason"], caller.member_id, iso(now), iso(until) if until else None
    )
    about = {"reason": muted.reason, "member_id": member_id, "until": muted.until}
    repos.moderation.mute(_entry(event.id, caller, "member.muted", now, **about), muted)
    return muted


def unmute(
    repos: Repos, caller: Caller, event_id: str, member_id: str, *, now: dt.datetime | None = None
) -> None:
    organised_event(repos.store, event_id, caller)
    if repos.store.get_mute(event_id, member_id) is None:
        raise NotFound(f"member {member_id} is not muted in this event")
    repos.moderation.unmute(_entry(event_id, caller, "member.unmuted", now or utcnow(), member_id=member_id))


def mutes(repos: Repos, caller: Caller, event_id: str, limit: int, cursor: str | None) -> Page[Mute]:
    organised_event(repos.store, event_id, caller)
    return repos.store.list_mutes(event_id, limit, cursor)


def remove_member(
    repos: Repos,
    caller: Caller,
    event_id: str,
    member_id: str,
    reason: str | None,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Remove an attendee from a private event: they no longer see it (in a public event anyone may
    read and join again: mute them instead). Logged once the removal is done."""
    event = organised_event(repos.store, event_id, caller)
    if event.visibility != "private":
        raise Conflict("only a private event's members can be removed: mute them instead")
    _subject(repos, event, caller, member_id)
    membership = repos.store.get_membership(event.id, member_id)
    if membership is None or not membership.is_attendee:
        raise NotFound(f"member {member_id} does not attend this event")
    repos.store.remove_role(event.id, member_id, ATTENDEE)
    about = {"reason": reason, "member_id": member_id}
    repos.moderation.act(_entry(event.id, caller, "member.removed", now or utcnow(), **about))


# --------------------------------------------------------------------------------------------------
# the audit log
# --------------------------------------------------------------------------------------------------


def audit_log(
    repos: Repos, caller: Caller, event_id: str, limit: int, cursor: str | None
) -> Page[AuditEntry]:
    organised_event(repos.store, event_id, caller)
    return repos.moderation.audit_log(event_id, limit, cursor)


def notices(repos: Repos, caller: Caller, limit: int, cursor: str | None) -> Page[AuditEntry]:
    """What organisers did about the caller's items and the caller (hidden, approved, muted, …)."""
    return repos.moderation.notices(caller.member_id, limit, cursor)
