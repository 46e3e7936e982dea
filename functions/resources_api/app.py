"""Resources API: the links and papers shared in a session or an event, most shared first."""

from __future__ import annotations

from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.resources import rules as resources
from backchannel.resources import schemas
from backchannel.resources.dynamo import DynamoResourcesRepo

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)
ledger = wiring.factory(DynamoResourcesRepo)


def _ranked(read, scope_id: str):
    """A page of a session's or an event's resources (``read``), most shared first."""
    limit, cursor = http.page_args(app)
    return http.page(read(store(), ledger(), http.optional_caller(app), scope_id, limit, cursor))


@app.get(
    "/sessions/<sessionId>/resources", response=schemas.RESOURCE, public=True, paginated=True, errors=(404,)
)
def list_session_resources(sessionId: str):
    """Links and papers shared in a session, most shared first"""
    return _ranked(resources.session_resources, sessionId)


@app.get("/events/<eventId>/resources", response=schemas.RESOURCE, public=True, paginated=True, errors=(404,))
def list_event_resources(eventId: str):
    """Links and papers shared at an event, most shared first"""
    return _ranked(resources.event_resources, eventId)


lambda_handler = http.lambda_handler(app)
