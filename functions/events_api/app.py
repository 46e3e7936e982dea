"""Events API: events, their organisers and sessions."""

from __future__ import annotations

import datetime as dt

from aws_lambda_powertools.logging import correlation_paths

from backchannel.conference import rules as events
from backchannel.conference import schemas
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.observability import logger, metrics

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)


@app.post("/events")
@http.operation(
    summary="Create an event (organisers group)",
    request=schemas.EVENT_CREATE,
    response=schemas.EVENT,
    status=201,
    errors=(403, 409),
)
def create_event():
    event = events.create_event(store(), http.caller(app), lambda: http.json_body(app, schemas.EVENT_CREATE))
    metrics.add_metric(name="EventsCreated", unit="Count", value=1)
    return http.created(event.to_json(), f"/events/{event.id}")


@app.get("/events")
@http.operation(
    summary="Current and upcoming public events", response=schemas.EVENT, public=True, paginated=True
)
def list_events():
    limit, cursor = http.page_args(app)
    today = dt.datetime.now(dt.UTC).date()
    return http.page(events.list_events(store(), today, limit, cursor), lambda e: e.to_json())


@app.get("/events/<eventId>")
@http.operation(
    summary="An event (private events: its organisers and attendees only)",
    response=schemas.EVENT,
    public=True,
    errors=(404,),
)
def get_event(eventId: str):
    event, _ = events.visible_event(store(), eventId, http.optional_caller(app), need_membership=False)
    return http.ok(event.to_json())


@app.patch("/events/<eventId>")
@http.operation(
    summary="Change an event (its organisers)",
    request=schemas.EVENT_UPDATE,
    response=schemas.EVENT,
    partial=True,
    errors=(403, 404, 409),
)
def update_event(eventId: str):
    caller = http.caller(app)
    changes = lambda: http.json_body(app, schemas.EVENT_UPDATE, partial=True)  # noqa: E731 - read after authorisation
    return http.ok(events.update_event(store(), caller, eventId, changes).to_json())


@app.post("/events/<eventId>/organisers")
@http.operation(
    summary="Add a co-organiser (its organisers)",
    request=schemas.ORGANISER_ADD,
    response=schemas.MEMBERSHIP,
    status=201,
    errors=(403, 404),
)
def add_organiser(eventId: str):
    caller = http.caller(app)
    membership = events.add_organiser(
        store(), caller, eventId, lambda: http.json_body(app, schemas.ORGANISER_ADD)
    )
    return http.created(_membership(membership), f"/events/{eventId}")


@app.post("/events/<eventId>/sessions")
@http.operation(
    summary="Add a session (its organisers)",
    request=schemas.SESSION_CREATE,
    response=schemas.SESSION,
    status=201,
    errors=(403, 404, 409),
)
def create_session(eventId: str):
    caller = http.caller(app)
    session = events.create_session(
        store(), caller, eventId, lambda: http.json_body(app, schemas.SESSION_CREATE)
    )
    return http.created(session.to_json(), f"/sessions/{session.id}")


@app.get("/events/<eventId>/sessions")
@http.operation(
    summary="An event's sessions, by start time",
    response=schemas.SESSION,
    public=True,
    paginated=True,
    errors=(404,),
)
def list_sessions(eventId: str):
    limit, cursor = http.page_args(app)
    result = events.list_sessions(store(), http.optional_caller(app), eventId, limit, cursor)
    return http.page(result, lambda s: s.to_json())


@app.get("/sessions/<sessionId>")
@http.operation(summary="A session", response=schemas.SESSION, public=True, errors=(404,))
def get_session(sessionId: str):
    session, _ = events.visible_session(store(), sessionId, http.optional_caller(app))
    return http.ok(session.to_json())


@app.patch("/sessions/<sessionId>")
@http.operation(
    summary="Change a session (the event's organisers)",
    request=schemas.SESSION_UPDATE,
    response=schemas.SESSION,
    partial=True,
    errors=(403, 404, 409),
)
def update_session(sessionId: str):
    caller = http.caller(app)
    changes = lambda: http.json_body(app, schemas.SESSION_UPDATE, partial=True)  # noqa: E731
    return http.ok(events.update_session(store(), caller, sessionId, changes).to_json())


@app.delete("/sessions/<sessionId>")
@http.operation(summary="Delete a session (the event's organisers)", status=204, errors=(403, 404))
def delete_session(sessionId: str):
    events.delete_session(store(), http.caller(app), sessionId)
    return http.no_content()


def _membership(m) -> dict:
    return {"eventId": m.event_id, "memberId": m.member_id, "roles": sorted(m.roles), "since": m.since}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return http.handle(app, event, context)
