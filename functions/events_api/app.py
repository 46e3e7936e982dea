"""Events API: events, their organisers and sessions, and schedule imports."""

from __future__ import annotations

import datetime as dt

from backchannel.conference import rules as events
from backchannel.conference import schemas
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.conference.schedule import rules as schedule
from backchannel.conference.schedule import schemas as schedule_schemas
from backchannel.conference.schedule.fetch import MAX_DOCUMENT_BYTES
from backchannel.core import http, wiring

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)
imports = wiring.lazy_factory("backchannel.conference.schedule.dynamo", "DynamoScheduleRepo")
jobs = wiring.lazy_factory("backchannel.conference.schedule.jobs", "ImportJobs")


@app.post(
    "/events", limit="organising", request=schemas.EVENT_CREATE, response=schemas.EVENT, errors=(403, 409)
)
def create_event():
    """Create an event (organisers group)"""
    event = events.create_event(store(), http.caller(app), http.body(app, schemas.EVENT_CREATE))
    wiring.count(EventsCreated=1)
    return http.created(event.to_json(), f"/events/{event.id}")


@app.get("/events", response=schemas.EVENT, public=True, paginated=True)
def list_events():
    """Current and upcoming public events"""
    limit, cursor = http.page_args(app)
    today = dt.datetime.now(dt.UTC).date()
    return http.page(events.list_events(store(), today, limit, cursor))


@app.get("/events/<eventId>", response=schemas.EVENT, public=True, errors=(404,))
def get_event(eventId: str):
    """An event (private events: its organisers and attendees only)"""
    event, _ = events.visible_event(store(), eventId, http.optional_caller(app), need_membership=False)
    return http.ok(event.to_json())


@app.patch(
    "/events/<eventId>",
    limit="organising",
    request=schemas.EVENT_UPDATE,
    response=schemas.EVENT,
    errors=(403, 404, 409),
)
def update_event(eventId: str):
    """Change an event (its organisers)"""
    changes = http.body(app, schemas.EVENT_UPDATE, partial=True)
    return http.ok(events.update_event(store(), http.caller(app), eventId, changes).to_json())


@app.post(
    "/events/<eventId>/organisers",
    limit="organising",
    request=schemas.ORGANISER_ADD,
    response=schemas.MEMBERSHIP,
    errors=(403, 404),
)
def add_organiser(eventId: str):
    """Add a co-organiser (its organisers)"""
    membership = events.add_organiser(
        store(), http.caller(app), eventId, http.body(app, schemas.ORGANISER_ADD)
    )
    return http.created(membership.to_json(), f"/events/{eventId}")


@app.post(
    "/events/<eventId>/sessions",
    limit="organising",
    request=schemas.SESSION_CREATE,
    response=schemas.SESSION,
    errors=(403, 404, 409),
)
def create_session(eventId: str):
    """Add a session (its organisers)"""
    session = events.create_session(
        store(), http.caller(app), eventId, http.body(app, schemas.SESSION_CREATE)
    )
    return http.created(session.to_json(), f"/sessions/{session.id}")


@app.get("/events/<eventId>/sessions", response=schemas.SESSION, public=True, paginated=True, errors=(404,))
def list_sessions(eventId: str):
    """An event's sessions, by start time"""
    limit, cursor = http.page_args(app)
    return http.page(events.list_sessions(store(), http.optional_caller(app), eventId, limit, cursor))


@app.get("/sessions/<sessionId>", response=schemas.SESSION, public=True, errors=(404,))
def get_session(sessionId: str):
    """A session"""
    session, _ = events.visible_session(store(), sessionId, http.optional_caller(app))
    return http.ok(session.to_json())


@app.patch(
    "/sessions/<sessionId>",
    limit="organising",
    request=schemas.SESSION_UPDATE,
    response=schemas.SESSION,
    errors=(403, 404, 409),
)
def update_session(sessionId: str):
    """Change a session (the event's organisers)"""
    changes = http.body(app, schemas.SESSION_UPDATE, partial=True)
    return http.ok(events.update_session(store(), http.caller(app), sessionId, changes).to_json())


@app.delete("/sessions/<sessionId>", limit="organising", errors=(403, 404))
def delete_session(sessionId: str):
    """Delete a session (the event's organisers)"""
    events.delete_session(store(), http.caller(app), sessionId)
    return http.no_content()


@app.post(
    "/events/<eventId>/schedule-imports",
    limit="organising",
    request=schedule_schemas.SCHEDULE_IMPORT_CREATE,
    response=schedule_schemas.SCHEDULE_IMPORT,
    accepted=True,
    errors=(403, 404, 409, 413),
)
def import_schedule(eventId: str):
    """Import sessions from a frab/pretalx schedule (JSON or XML) or an iCalendar file (its organisers)"""
    data = http.body(app, schedule_schemas.SCHEDULE_IMPORT_CREATE, max_bytes=MAX_DOCUMENT_BYTES + 64 * 1024)
    record = schedule.import_schedule(store(), imports(), http.caller(app), eventId, data, jobs=jobs())
    wiring.count(ScheduleImports=1, SessionsImported=record.created)
    location = f"/events/{eventId}/schedule-imports/{record.id}"
    if not record.finished:
        return http.ok(record.to_json(), 202, {"Location": location})
    return http.created(record.to_json(), location)


@app.get(
    "/events/<eventId>/schedule-imports/<importId>",
    response=schedule_schemas.SCHEDULE_IMPORT,
    errors=(403, 404),
)
def get_schedule_import(eventId: str, importId: str):
    """A schedule import and what it came to (the event's organisers)"""
    return http.ok(schedule.get_import(store(), imports(), http.caller(app), eventId, importId).to_json())


lambda_handler = http.lambda_handler(app)
