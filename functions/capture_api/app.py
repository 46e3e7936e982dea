"""Capture API: hashtag posts, session notes and organiser summaries."""

from __future__ import annotations

from aws_lambda_powertools.logging import correlation_paths

from backchannel.capture import rules as capture
from backchannel.capture import schemas
from backchannel.capture.dynamo import DynamoCaptureRepo
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.config import get_config
from backchannel.core.dynamo import cursor as cursors
from backchannel.core.errors import BadRequest
from backchannel.core.observability import logger, metrics

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)
captured = wiring.factory(DynamoCaptureRepo)


def _query(name: str) -> str | None:
    return (app.current_event.query_string_parameters or {}).get(name) or None


def _header(name: str) -> str | None:
    headers = app.current_event.raw_event.get("headers") or {}
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _feed(read) -> dict:
    """A page of posts, newest first. ``nextCursor`` continues to older posts; ``sinceCursor``, passed
    as ``?since=``, returns only posts that arrived after this page's newest (for polling)."""
    limit, cursor = http.page_args(app)
    since = _query("since")
    if cursor and since:
        raise BadRequest("use either cursor (older posts) or since (newer posts), not both", field="since")
    after = cursors.decode_positions(since, {"after"}, field="since")["after"] if since else None
    posts, next_cursor = read(limit, cursor, after)
    newest = posts[0].seq if posts else (after or "0")
    return http.ok(
        {
            "items": [p.to_json() for p in posts],
            "nextCursor": next_cursor,
            "sinceCursor": cursors.encode({"after": newest}),
        }
    )


# ---------------------------------------------------------------------------------------------------
# posts
# ---------------------------------------------------------------------------------------------------


@app.post("/events/<eventId>/posts")
@http.operation(
    summary="Post to an event's backchannel (replaying a client id is safe)",
    request=schemas.POST_CREATE,
    response=schemas.POST,
    status=201,
    errors=(404, 409),
)
def create_post(eventId: str):
    post, created = capture.create_post(
        store(),
        captured(),
        http.caller(app),
        eventId,
        lambda: http.json_body(app, schemas.POST_CREATE),
        window_days=get_config().write_window_days,
    )
    if created:
        metrics.add_metric(name="PostsCreated", unit="Count", value=1)
        return http.created(post.to_json(), f"/posts/{post.id}")
    return http.ok(post.to_json())


@app.get("/events/<eventId>/posts")
@http.operation(
    summary="An event's posts, newest first (?since= for polling)",
    response=schemas.POST,
    public=True,
    paginated=True,
    errors=(404,),
)
def list_event_posts(eventId: str):
    caller = http.optional_caller(app)
    return _feed(
        lambda n, before, after: capture.event_posts(store(), captured(), caller, eventId, n, before, after)
    )


@app.get("/sessions/<sessionId>/posts")
@http.operation(
    summary="A session's posts, newest first (?since= for polling)",
    response=schemas.POST,
    public=True,
    paginated=True,
    errors=(404,),
)
def list_session_posts(sessionId: str):
    caller = http.optional_caller(app)
    return _feed(
        lambda n, before, after: capture.session_posts(
            store(), captured(), caller, sessionId, n, before, after
        )
    )


@app.delete("/posts/<postId>")
@http.operation(summary="Delete a post (its author or the event's organisers)", status=204, errors=(403, 404))
def delete_post(postId: str):
    capture.delete_post(store(), captured(), http.caller(app), postId)
    return http.no_content()


# ---------------------------------------------------------------------------------------------------
# notes
# ---------------------------------------------------------------------------------------------------


def _note_response(note, status: int = 200):
    headers = {"ETag": note.etag}
    if status == 201:
        headers["Location"] = f"/notes/{note.id}"
    return http.ok(note.to_json(), status, headers)


@app.post("/sessions/<sessionId>/notes")
@http.operation(
    summary="Write a note for a session (private unless you say otherwise)",
    request=schemas.NOTE_CREATE,
    response=schemas.NOTE,
    status=201,
    errors=(404, 409),
)
def create_note(sessionId: str):
    note, created = capture.create_note(
        store(),
        captured(),
        http.caller(app),
        sessionId,
        lambda: http.json_body(app, schemas.NOTE_CREATE),
        window_days=get_config().write_window_days,
    )
    return _note_response(note, 201 if created else 200)


@app.get("/notes/<noteId>")
@http.operation(summary="A note you may read", response=schemas.NOTE, public=True, errors=(404,))
def get_note(noteId: str):
    return _note_response(capture.visible_note(store(), captured(), noteId, http.optional_caller(app)))


@app.put("/notes/<noteId>")
@http.operation(
    summary="Replace your note (If-Match: its ETag)",
    request=schemas.NOTE_REPLACE,
    response=schemas.NOTE,
    errors=(403, 404, 412, 428),
)
def replace_note(noteId: str):
    note = capture.replace_note(
        store(),
        captured(),
        http.caller(app),
        noteId,
        _header("if-match"),
        lambda: http.json_body(app, schemas.NOTE_REPLACE),
    )
    return _note_response(note)


@app.delete("/notes/<noteId>")
@http.operation(summary="Delete your note", status=204, errors=(403, 404))
def delete_note(noteId: str):
    capture.delete_note(store(), captured(), http.caller(app), noteId)
    return http.no_content()


@app.get("/sessions/<sessionId>/notes")
@http.operation(
    summary="A session's notes you may read",
    response=schemas.NOTE,
    public=True,
    paginated=True,
    errors=(404,),
)
def list_session_notes(sessionId: str):
    limit, cursor = http.page_args(app)
    page = capture.session_notes(store(), captured(), http.optional_caller(app), sessionId, limit, cursor)
    return http.page(page, lambda n: n.to_json())


@app.get("/me/notes")
@http.operation(summary="Your notes, newest first", response=schemas.NOTE, paginated=True)
def my_notes():
    limit, cursor = http.page_args(app)
    return http.page(
        captured().member_notes(http.caller(app).member_id, limit, cursor), lambda n: n.to_json()
    )


# ---------------------------------------------------------------------------------------------------
# summaries
# ---------------------------------------------------------------------------------------------------


@app.put("/sessions/<sessionId>/summary")
@http.operation(
    summary="Write or publish a session's summary (organisers; each publication is a version)",
    request=schemas.SUMMARY_PUT,
    response=schemas.SUMMARY,
    errors=(403, 404, 409),
)
def put_summary(sessionId: str):
    summary = capture.put_summary(
        store(), captured(), http.caller(app), sessionId, lambda: http.json_body(app, schemas.SUMMARY_PUT)
    )
    return http.ok(summary.to_json())


@app.get("/sessions/<sessionId>/summary")
@http.operation(
    summary="The published summary (?status=draft: the draft, for organisers)",
    response=schemas.SUMMARY,
    public=True,
    errors=(403, 404),
)
def get_summary(sessionId: str):
    status = _query("status") or "published"
    if status not in ("published", "draft"):
        raise BadRequest("status must be published or draft", field="status")
    found = capture.get_summary(
        store(), captured(), http.optional_caller(app), sessionId, draft=status == "draft"
    )
    return http.ok(found.to_json())


@app.get("/sessions/<sessionId>/summary/versions")
@http.operation(
    summary="Published versions of a session's summary, newest first",
    response=schemas.SUMMARY,
    public=True,
    paginated=True,
    errors=(404,),
)
def summary_versions(sessionId: str):
    limit, cursor = http.page_args(app)
    page = capture.summary_versions(store(), captured(), http.optional_caller(app), sessionId, limit, cursor)
    return http.page(page, lambda s: s.to_json())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return http.handle(app, event, context)
