"""Capture API: hashtag posts, session notes and organiser summaries."""

from __future__ import annotations

from backchannel.capture import rules as capture
from backchannel.capture import schemas
from backchannel.capture.dynamo import DynamoCaptureRepo
from backchannel.circulation.dynamo import DynamoCirculationRepo
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.config import get_config
from backchannel.core.dynamo import cursor as cursors
from backchannel.core.errors import BadRequest

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)
captured = wiring.factory(DynamoCaptureRepo)
blocks = wiring.factory(DynamoCirculationRepo)  # what a signed-in reader blocked is left out of lists


def _feed(read) -> dict:
    """A page of posts, newest first. ``nextCursor`` continues to older posts; ``sinceCursor``, passed
    as ``?since=``, returns only posts that arrived after this page's newest (for polling). A poll
    wins: with ``since``, a ``cursor`` is not read (a client that kept both asks for what is new)."""
    limit, cursor = http.page_args(app)
    since = http.query(app, "since")
    if since:
        cursor = None
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


def _write(create, target_id: str, schema):
    """A post or a note (``create``) by the caller into an event or a session, with the body read once
    the caller may write there, and within the days after the event that writing stays open."""
    body = http.body(app, schema)
    window_days = get_config().write_window_days
    return create(store(), captured(), http.caller(app), target_id, body, window_days=window_days)


def _session_page(read, session_id: str):
    """A page of a session's notes or summary versions (``read``), as far as the caller may see them."""
    limit, cursor = http.page_args(app)
    return http.page(read(store(), captured(), http.optional_caller(app), session_id, limit, cursor))


# ---------------------------------------------------------------------------------------------------
# posts
# ---------------------------------------------------------------------------------------------------


@app.post(
    "/events/<eventId>/posts",
    limit="posts",
    request=schemas.POST_CREATE,
    response=schemas.POST,
    errors=(404, 409),
    replay=True,
)
def create_post(eventId: str):
    """Post to an event's backchannel (replaying a client id is safe)"""
    post, created = _write(capture.create_post, eventId, schemas.POST_CREATE)
    if created:
        wiring.count(PostsCreated=1)
    return http.created(post.to_json(), f"/posts/{post.id}", new=created)


@app.get(
    "/events/<eventId>/posts", response=schemas.POST, public=True, paginated=True, polled=True, errors=(404,)
)
def list_event_posts(eventId: str):
    """An event's posts, newest first (?since= for polling)"""
    caller = http.optional_caller(app)
    return _feed(
        lambda n, before, after: capture.event_posts(
            store(), captured(), caller, eventId, n, before, after, blocks()
        )
    )


@app.get(
    "/sessions/<sessionId>/posts",
    response=schemas.POST,
    public=True,
    paginated=True,
    polled=True,
    errors=(404,),
)
def list_session_posts(sessionId: str):
    """A session's posts, newest first (?since= for polling)"""
    caller = http.optional_caller(app)
    return _feed(
        lambda n, before, after: capture.session_posts(
            store(), captured(), caller, sessionId, n, before, after, blocks()
        )
    )


@app.get("/posts/<postId>", response=schemas.POST, public=True, errors=(404,))
def get_post(postId: str):
    """A post you may read (a hidden or held one: its author and the event's organisers, with why)"""
    return http.ok(capture.visible_post(store(), captured(), postId, http.optional_caller(app)).to_json())


@app.delete("/posts/<postId>", limit="posts", errors=(403, 404))
def delete_post(postId: str):
    """Delete a post (its author or the event's organisers)"""
    capture.delete_post(store(), captured(), http.caller(app), postId)
    return http.no_content()


# ---------------------------------------------------------------------------------------------------
# notes
# ---------------------------------------------------------------------------------------------------


def _note(note, *, new: bool | None = None):
    """A note with its ETag (for If-Match); ``new``: just written (201 with its Location) or a replay."""
    if new is None:
        return http.ok(note.to_json(), headers={"ETag": note.etag})
    return http.created(note.to_json(), f"/notes/{note.id}", new=new, headers={"ETag": note.etag})


@app.post(
    "/sessions/<sessionId>/notes",
    limit="notes",
    request=schemas.NOTE_CREATE,
    response=schemas.NOTE,
    errors=(404, 409),
    replay=True,
)
def create_note(sessionId: str):
    """Write a note for a session (private unless you say otherwise)"""
    note, created = _write(capture.create_note, sessionId, schemas.NOTE_CREATE)
    return _note(note, new=created)


@app.get("/notes/<noteId>", response=schemas.NOTE, public=True, errors=(404,))
def get_note(noteId: str):
    """A note you may read"""
    return _note(capture.visible_note(store(), captured(), noteId, http.optional_caller(app)))


@app.put(
    "/notes/<noteId>",
    limit="notes",
    request=schemas.NOTE_REPLACE,
    response=schemas.NOTE,
    errors=(403, 404, 412, 428),
)
def replace_note(noteId: str):
    """Replace your note (If-Match: its ETag)"""
    if_match = http.header(app, "if-match")
    body = http.body(app, schemas.NOTE_REPLACE)
    return _note(capture.replace_note(store(), captured(), http.caller(app), noteId, if_match, body))


@app.delete("/notes/<noteId>", limit="notes", errors=(403, 404))
def delete_note(noteId: str):
    """Delete your note"""
    capture.delete_note(store(), captured(), http.caller(app), noteId)
    return http.no_content()


@app.get("/sessions/<sessionId>/notes", response=schemas.NOTE, public=True, paginated=True, errors=(404,))
def list_session_notes(sessionId: str):
    """A session's notes you may read"""
    limit, cursor = http.page_args(app)
    caller = http.optional_caller(app)
    return http.page(capture.session_notes(store(), captured(), caller, sessionId, limit, cursor, blocks()))


@app.get("/me/notes", response=schemas.NOTE, paginated=True)
def my_notes():
    """Your notes, newest first"""
    limit, cursor = http.page_args(app)
    return http.page(captured().member_notes(http.caller(app).member_id, limit, cursor))


# ---------------------------------------------------------------------------------------------------
# summaries
# ---------------------------------------------------------------------------------------------------


@app.put(
    "/sessions/<sessionId>/summary",
    limit="organising",
    request=schemas.SUMMARY_PUT,
    response=schemas.SUMMARY,
    errors=(403, 404, 409),
)
def put_summary(sessionId: str):
    """Write or publish a session's summary (organisers; each publication is a version)"""
    body = http.body(app, schemas.SUMMARY_PUT)
    return http.ok(capture.put_summary(store(), captured(), http.caller(app), sessionId, body).to_json())


@app.get("/sessions/<sessionId>/summary", response=schemas.SUMMARY, public=True, errors=(403, 404))
def get_summary(sessionId: str):
    """The published summary (?status=draft: the draft, for organisers)"""
    status = http.query(app, "status") or "published"
    if status not in ("published", "draft"):
        raise BadRequest("status must be published or draft", field="status")
    found = capture.get_summary(
        store(), captured(), http.optional_caller(app), sessionId, draft=status == "draft"
    )
    return http.ok(found.to_json())


@app.get(
    "/sessions/<sessionId>/summary/versions",
    response=schemas.SUMMARY,
    public=True,
    paginated=True,
    errors=(404,),
)
def summary_versions(sessionId: str):
    """Published versions of a session's summary, newest first"""
    return _session_page(capture.summary_versions, sessionId)


lambda_handler = http.lambda_handler(app)
