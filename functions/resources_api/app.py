"""Resources API: the links and papers shared in a session or an event, most shared first."""

from __future__ import annotations

from aws_lambda_powertools.logging import correlation_paths

from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.observability import logger, metrics
from backchannel.resources import rules as resources
from backchannel.resources import schemas as resource_schemas
from backchannel.resources.dynamo import DynamoResourcesRepo

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)
ledger = wiring.factory(DynamoResourcesRepo)


@app.get("/sessions/<sessionId>/resources")
@http.operation(
    summary="Links and papers shared in a session, most shared first",
    response=resource_schemas.RESOURCE,
    public=True,
    paginated=True,
    errors=(404,),
)
def list_session_resources(sessionId: str):
    limit, cursor = http.page_args(app)
    page = resources.session_resources(store(), ledger(), http.optional_caller(app), sessionId, limit, cursor)
    return http.page(page, lambda r: r.to_json())


@app.get("/events/<eventId>/resources")
@http.operation(
    summary="Links and papers shared at an event, most shared first",
    response=resource_schemas.RESOURCE,
    public=True,
    paginated=True,
    errors=(404,),
)
def list_event_resources(eventId: str):
    limit, cursor = http.page_args(app)
    page = resources.event_resources(store(), ledger(), http.optional_caller(app), eventId, limit, cursor)
    return http.page(page, lambda r: r.to_json())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return http.handle(app, event, context)
