"""Feeds API: Atom for an event's posts and a session's summary and public notes, iCalendar for an
event's schedule. Public routes for feed readers: only what an anonymous reader may see, whatever
token comes along; ETag and If-None-Match spare them the body when nothing changed."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from backchannel import feeds
from backchannel.capture.dynamo import DynamoCaptureRepo
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring

app = http.make_app()
CACHE_CONTROL = "public, max-age=60"


store = wiring.factory(DynamoConferenceRepo)
captured = wiring.factory(DynamoCaptureRepo)


def _answer(feed: feeds.Feed) -> Response:
    """The feed, or 304 with no body when the reader's copy is current."""
    headers = {"ETag": feed.etag, "Cache-Control": CACHE_CONTROL}
    if feeds.not_modified(http.header(app, "if-none-match"), feed.etag):
        return Response(status_code=304, body="", headers=headers)
    return Response(status_code=200, content_type=feed.content_type, body=feed.body.decode(), headers=headers)


@app.get("/events/<eventId>/feed.atom", public=True, errors=(404,))
def event_feed(eventId: str):
    """An event's latest posts as an Atom feed (public and unlisted events)"""
    return _answer(feeds.event_feed(store(), captured(), eventId, base=http.base_url(app)))


@app.get("/sessions/<sessionId>/feed.atom", public=True, errors=(404,))
def session_feed(sessionId: str):
    """A session's published summary and public notes as an Atom feed"""
    return _answer(feeds.session_feed(store(), captured(), sessionId, base=http.base_url(app)))


@app.get("/events/<eventId>/schedule.ics", public=True, errors=(404,))
def event_schedule(eventId: str):
    """An event's schedule as iCalendar, in the event's time zone"""
    return _answer(feeds.schedule(store(), eventId, base=http.base_url(app)))


lambda_handler = http.lambda_handler(app)
