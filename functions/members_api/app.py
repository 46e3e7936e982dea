"""Members API: profiles (created on first authenticated use) and event attendance."""

from __future__ import annotations

from aws_lambda_powertools.logging import correlation_paths

from backchannel.conference import members, schemas
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.observability import logger, metrics

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)


@app.get("/me")
@http.operation(summary="Your profile (created on first use)", response=schemas.MEMBER)
def get_me():
    return http.ok(members.ensure_member(store(), http.caller(app)).to_json())


@app.patch("/me")
@http.operation(
    summary="Change your profile",
    request=schemas.ME_UPDATE,
    response=schemas.MEMBER,
    partial=True,
    errors=(409,),
)
def update_me():
    caller = http.caller(app)
    changes = http.json_body(app, schemas.ME_UPDATE, partial=True)
    return http.ok(members.update_me(store(), caller, changes).to_json())


@app.get("/me/events")
@http.operation(summary="Events you attend or organise", response=schemas.MY_EVENT, paginated=True)
def my_events():
    limit, cursor = http.page_args(app)
    result = members.my_events(store(), http.caller(app), limit, cursor)
    return http.page(
        result,
        lambda pair: {"event": pair[1].to_json(), "roles": sorted(pair[0].roles), "since": pair[0].since},
    )


@app.post("/events/<eventId>/attendance")
@http.operation(
    summary="Join an event (or, as organiser, add a member)",
    request=schemas.ATTENDANCE,
    response=schemas.MEMBERSHIP,
    status=201,
    errors=(403, 404),
)
def join_event(eventId: str):
    caller = http.caller(app)
    data = http.json_body(app, schemas.ATTENDANCE, allow_empty=True)
    m = members.join_event(store(), caller, eventId, data.get("memberId"))
    body = {"eventId": m.event_id, "memberId": m.member_id, "roles": sorted(m.roles), "since": m.since}
    return http.created(body, f"/events/{eventId}")


@app.delete("/events/<eventId>/attendance")
@http.operation(summary="Leave an event", status=204, errors=(404,))
def leave_event(eventId: str):
    members.leave_event(store(), http.caller(app), eventId)
    return http.no_content()


@app.post("/sessions/<sessionId>/star")
@http.operation(summary="Star a session (it goes into your personal pack)", status=201, errors=(404,))
def star_session(sessionId: str):
    return http.created(members.star_session(store(), http.caller(app), sessionId), f"/sessions/{sessionId}")


@app.delete("/sessions/<sessionId>/star")
@http.operation(summary="Remove your star from a session", status=204, errors=(404,))
def unstar_session(sessionId: str):
    members.unstar_session(store(), http.caller(app), sessionId)
    return http.no_content()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return http.handle(app, event, context)
