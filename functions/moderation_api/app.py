"""Moderation API: members report posts, notes and questions; an event's organisers work the queue,
hide and unhide items, approve held posts, mute and remove members, and read the audit log."""

from __future__ import annotations

from backchannel.capture import schemas as capture_schemas
from backchannel.capture.dynamo import DynamoCaptureRepo
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.moderation import rules as moderation
from backchannel.moderation import schemas
from backchannel.moderation.dynamo import DynamoModerationRepo
from backchannel.questions import schemas as question_schemas
from backchannel.questions.dynamo import DynamoQuestionsRepo

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)
captured = wiring.factory(DynamoCaptureRepo)
asked = wiring.factory(DynamoQuestionsRepo)
logged = wiring.factory(DynamoModerationRepo)


def repos() -> moderation.Repos:
    return moderation.Repos(store(), captured(), asked(), logged())


# ---------------------------------------------------------------------------------------------------
# reports and the queue
# ---------------------------------------------------------------------------------------------------


@app.post(
    "/events/<eventId>/reports",
    limit="reports",
    request=schemas.REPORT_CREATE,
    response=schemas.REPORT,
    errors=(404,),
)
def report(eventId: str):
    """Report a post, note or question to the event's organisers"""
    filed = moderation.report(repos(), http.caller(app), eventId, http.body(app, schemas.REPORT_CREATE))
    return http.created(filed.to_json(), f"/events/{eventId}/reports")


@app.get("/events/<eventId>/reports", response=schemas.REPORTED_ITEM, paginated=True, errors=(403, 404))
def reports_queue(eventId: str):
    """The moderation queue: items with open reports, most recently reported first (organisers)"""
    limit, cursor = http.page_args(app)
    items, following = moderation.queue(repos(), http.caller(app), eventId, limit, cursor)
    return http.ok({"items": items, "nextCursor": following})


@app.delete("/events/<eventId>/reports/<itemId>", limit="organising", errors=(403, 404, 409))
def dismiss_reports(eventId: str, itemId: str):
    """Dismiss an item's open reports (organisers)"""
    moderation.dismiss(repos(), http.caller(app), eventId, itemId)
    return http.no_content()


@app.get("/events/<eventId>/held-posts", response=capture_schemas.POST, paginated=True, errors=(403, 404))
def held_posts(eventId: str):
    """Posts waiting for approval in an event that holds them (organisers)"""
    limit, cursor = http.page_args(app)
    posts, following = moderation.held_posts(repos(), http.caller(app), eventId, limit, cursor)
    return http.ok({"items": [p.to_json() for p in posts], "nextCursor": following})


# ---------------------------------------------------------------------------------------------------
# hiding and unhiding
# ---------------------------------------------------------------------------------------------------


@app.put(
    "/posts/<postId>/moderation",
    limit="organising",
    request=schemas.MODERATION_PUT,
    response=capture_schemas.POST,
    errors=(403, 404, 409),
)
def put_post_moderation(postId: str):
    """Hide a post with a reason, unhide it, or approve a held one (the event's organisers)"""
    body = http.body(app, schemas.MODERATION_PUT)
    return http.ok(moderation.moderate_post(repos(), http.caller(app), postId, body).to_json())


@app.put(
    "/notes/<noteId>/moderation",
    limit="organising",
    request=schemas.MODERATION_PUT,
    response=capture_schemas.NOTE,
    errors=(403, 404, 409),
)
def put_note_moderation(noteId: str):
    """Hide a shared note with a reason, or unhide it (the event's organisers)"""
    body = http.body(app, schemas.MODERATION_PUT)
    note = moderation.moderate_note(repos(), http.caller(app), noteId, body)
    return http.ok(note.to_json(), headers={"ETag": note.etag})


@app.put(
    "/questions/<questionId>/moderation",
    limit="organising",
    request=schemas.MODERATION_PUT,
    response=question_schemas.QUESTION,
    errors=(403, 404, 409),
)
def put_question_moderation(questionId: str):
    """Hide a question with a reason, or unhide (approve) it (the event's organisers)"""
    body = http.body(app, schemas.MODERATION_PUT)
    question = moderation.moderate_question(repos(), http.caller(app), questionId, body)
    return http.ok(question.to_json(show_asker=True))


# ---------------------------------------------------------------------------------------------------
# members: mutes and removals
# ---------------------------------------------------------------------------------------------------


@app.put(
    "/events/<eventId>/mutes/<memberId>",
    limit="organising",
    request=schemas.MUTE_PUT,
    response=schemas.MUTE,
    errors=(403, 404, 409),
)
def mute(eventId: str, memberId: str):
    """Mute a member in the event: they read but do not write, until a time or until lifted (organisers)"""
    body = http.body(app, schemas.MUTE_PUT)
    return http.ok(moderation.mute(repos(), http.caller(app), eventId, memberId, body).to_json())


@app.delete("/events/<eventId>/mutes/<memberId>", limit="organising", errors=(403, 404, 409))
def unmute(eventId: str, memberId: str):
    """Lift a member's mute (organisers)"""
    moderation.unmute(repos(), http.caller(app), eventId, memberId)
    return http.no_content()


@app.get("/events/<eventId>/mutes", response=schemas.MUTE, paginated=True, errors=(403, 404))
def list_mutes(eventId: str):
    """The members muted in the event (organisers)"""
    limit, cursor = http.page_args(app)
    return http.page(moderation.mutes(repos(), http.caller(app), eventId, limit, cursor))


@app.delete("/events/<eventId>/members/<memberId>", limit="organising", errors=(403, 404, 409))
def remove_member(eventId: str, memberId: str):
    """Remove an attendee from a private event (organisers; ?reason= for the audit log)"""
    reason = (http.query(app, "reason") or "")[:500] or None
    moderation.remove_member(repos(), http.caller(app), eventId, memberId, reason)
    return http.no_content()


# ---------------------------------------------------------------------------------------------------
# the audit log
# ---------------------------------------------------------------------------------------------------


@app.get("/events/<eventId>/moderation-log", response=schemas.AUDIT_ENTRY, paginated=True, errors=(403, 404))
def audit_log(eventId: str):
    """Every moderation action in the event, newest first (organisers)"""
    limit, cursor = http.page_args(app)
    return http.page(moderation.audit_log(repos(), http.caller(app), eventId, limit, cursor))


@app.get("/me/moderation", response=schemas.NOTICE, paginated=True)
def my_notices():
    """What organisers did about your posts, notes and questions, and about you"""
    limit, cursor = http.page_args(app)
    page = moderation.notices(repos(), http.caller(app), limit, cursor)
    return http.page(page, lambda entry: entry.notice_json())


lambda_handler = http.lambda_handler(app)
