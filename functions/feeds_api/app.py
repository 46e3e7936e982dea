"""Feeds API: Atom for an event's posts and a session's summary and public notes, iCalendar for an
event's schedule. Public routes for feed readers: only what an anonymous reader may see, whatever
token comes along; ETag and If-None-Match spare them the body when nothing changed."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths

from backchannel import feeds
from backchannel.capture.dynamo import DynamoCaptureRepo
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.observability import logger, metrics

app = http.make_app()
CACHE_CONTROL = "public, max-age=60"


store = wiring.factory(DynamoConferenceRepo)
captured = wiring.factory(DynamoCaptureRepo)


def _base() -> str:
    context = app.current_event.raw_event.get("requestContext") or {}
    return feeds.base_url(context.get("domainName"), context.get("stage"))


def _answer(feed: feeds.Feed) -> Response:
    """The feed, or 304 with no body when the reader's copy is current."""
    headers = {"ETag": feed.etag, "Cache-Control": CACHE_CONTROL}
    headers_in = app.current_event.raw_event.get("headers") or {}
    if_none_match = next((v for k, v in headers_in.items() if k.lower() == "if-none-match"), None)
    if feeds.not_modified(if_none_match, feed.etag):
        return Response(status_code=304, body="", headers=headers)
    return Response(status_code=200, content_type=feed.content_type, body=feed.body.decode(), headers=headers)


@app.get("/events/<eventId>/feed.atom")
@http.operation(
    summary="An event's latest posts as an Atom feed (public and unlisted events)",
    public=True,
    errors=(404,),
)
def event_feed(eventId: str):
    return _answer(feeds.event_feed(store(), captured(), eventId, base=_base()))


@app.get("/sessions/<sessionId>/feed.atom")
@http.operation(
    summary="A session's published summary and public notes as an Atom feed",
    public=True,
    errors=(404,),
)
def session_feed(sessionId: str):
    return _answer(feeds.session_feed(store(), captured(), sessionId, base=_base()))


@app.get("/events/<eventId>/schedule.ics")
@http.operation(
    summary="An event's schedule as iCalendar, in the event's time zone",
    public=True,
    errors=(404,),
)
def event_schedule(eventId: str):
    return _answer(feeds.schedule(store(), eventId, base=_base()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return http.handle(app, event, context)
