"""Members API: profiles (created on first authenticated use), event attendance, erasure and exports."""

from __future__ import annotations

from backchannel.conference import members, schemas
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.erasure import rules as erasure
from backchannel.erasure.schemas import ERASURE
from backchannel.exports import rules as exports
from backchannel.exports.dynamo import DynamoExportRepo, presign
from backchannel.exports.schemas import EXPORT

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)


@wiring.factory
def erasures():
    # On first use: its module brings the sweep and every repository it erases from (~40 ms of a
    # cold start that /me, the route every page calls first, should not pay).
    from backchannel.erasure.dynamo import DynamoErasureRepo

    return DynamoErasureRepo()


export_records = wiring.factory(DynamoExportRepo)


@app.get("/me", response=schemas.MEMBER)
def get_me():
    """Your profile (created on first use)"""
    return http.ok(members.ensure_member(store(), http.caller(app)).to_json())


@app.patch("/me", limit="profile", request=schemas.ME_UPDATE, response=schemas.MEMBER, errors=(409,))
def update_me():
    """Change your profile"""
    caller = http.caller(app)
    changes = http.json_body(app, schemas.ME_UPDATE, partial=True)
    return http.ok(members.update_me(store(), caller, changes).to_json())


@app.delete("/me", limit="profile", status=202, response=ERASURE)
def erase_me():
    """Erase your account and everything of yours (follow it at GET /erasures/{id})"""
    found = erasure.request_erasure(erasures(), http.caller(app))
    return http.ok(found.to_json(), 202, {"Location": f"/erasures/{found.id}"})


@app.get("/erasures/<erasureId>", response=ERASURE, public=True, errors=(404,))
def get_erasure(erasureId: str):
    """How far an erasure is (its id is the only way to it: it names nobody)"""
    return http.ok(erasure.status(erasures(), erasureId).to_json())


@app.post("/me/export", limit="exports", status=202, response=EXPORT)
def export_me():
    """Export everything of yours as JSON and Markdown in a zip (follow it at GET /me/exports/{id})"""
    found = exports.request_export(export_records(), http.caller(app))
    return http.ok(found.to_json(), 202, {"Location": f"/me/exports/{found.id}"})


@app.get("/me/exports/<exportId>", response=EXPORT, errors=(404,))
def get_export(exportId: str):
    """How far your export is, and when ready a link to its zip (valid for an hour)"""
    return http.ok(exports.view(export_records(), http.caller(app), exportId, presign))


@app.get("/me/events", response=schemas.MY_EVENT, paginated=True)
def my_events():
    """Events you attend or organise"""
    limit, cursor = http.page_args(app)
    result = members.my_events(store(), http.caller(app), limit, cursor)
    return http.page(result, _my_event)


def _my_event(pair) -> dict:
    """An event of the caller's, with their roles there and the code of conduct they accepted."""
    membership, event = pair
    mine = membership.to_json()
    return {"event": event.to_json(), **{k: mine[k] for k in ("roles", "since", "codeOfConduct")}}


@app.post(
    "/events/<eventId>/attendance",
    limit="profile",
    request=schemas.ATTENDANCE,
    response=schemas.MEMBERSHIP,
    errors=(403, 404),
)
def join_event(eventId: str):
    """Join an event (or, as organiser, add a member)"""
    caller = http.caller(app)
    data = http.json_body(app, schemas.ATTENDANCE, allow_empty=True)
    membership = members.join_event(store(), caller, eventId, data.get("memberId"))
    return http.created(membership.to_json(), f"/events/{eventId}")


@app.delete("/events/<eventId>/attendance", limit="profile", errors=(404,))
def leave_event(eventId: str):
    """Leave an event"""
    members.leave_event(store(), http.caller(app), eventId)
    return http.no_content()


@app.post("/sessions/<sessionId>/star", limit="profile", response=schemas.STAR, errors=(404,))
def star_session(sessionId: str):
    """Star a session (it goes into your personal pack)"""
    return http.created(members.star_session(store(), http.caller(app), sessionId), f"/sessions/{sessionId}")


@app.delete("/sessions/<sessionId>/star", limit="profile", errors=(404,))
def unstar_session(sessionId: str):
    """Remove your star from a session"""
    members.unstar_session(store(), http.caller(app), sessionId)
    return http.no_content()


lambda_handler = http.lambda_handler(app)
