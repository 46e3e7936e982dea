"""Packs API: ask for conference packs (202: built by the compile worker), follow their status,
download them (a redirect to a short-lived presigned URL of the served version)."""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths

from backchannel.circulation import schemas as circulation_schemas
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.errors import FieldError, ValidationFailed
from backchannel.core.observability import logger, metrics
from backchannel.messaging.bus import default_publisher
from backchannel.packs import api
from backchannel.packs import schemas as pack_schemas

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)


@wiring.factory
def packs():
    from backchannel.packs.dynamo import DynamoPacksRepo

    return DynamoPacksRepo()


@wiring.factory
def circulation():
    from backchannel.circulation.dynamo import DynamoCirculationRepo

    return DynamoCirculationRepo()


def _redirect(url: str) -> Response:
    return Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"}, body="")


def _format() -> str | None:
    return (app.current_event.query_string_parameters or {}).get("format")


def _accepted(pack) -> Response:
    return http.ok(pack, 202, {"Location": f"/packs/{pack['id']}"})


@app.post("/sessions/<sessionId>/packs")
@http.operation(
    summary="Build a session's pack (organisers)", response=pack_schemas.PACK, status=202, errors=(403, 404)
)
def request_session_pack(sessionId: str):
    return _accepted(
        api.request_session_pack(store(), packs(), default_publisher(), http.caller(app), sessionId)
    )


@app.post("/events/<eventId>/packs")
@http.operation(
    summary="Build an event's pack (organisers)", response=pack_schemas.PACK, status=202, errors=(403, 404)
)
def request_event_pack(eventId: str):
    return _accepted(api.request_event_pack(store(), packs(), default_publisher(), http.caller(app), eventId))


@app.post("/me/packs")
@http.operation(
    summary="Build my own pack of an event I attend or organise",
    request=pack_schemas.PERSONAL_PACK_REQUEST,
    response=pack_schemas.PACK,
    status=202,
    errors=(403, 404),
)
def request_personal_pack():
    caller = http.caller(app)
    pack = api.request_personal_pack(
        store(),
        packs(),
        default_publisher(),
        caller,
        lambda: http.json_body(app, pack_schemas.PERSONAL_PACK_REQUEST),
    )
    return _accepted(pack)


@app.get("/packs/<packId>")
@http.operation(
    summary="A pack: its status, progress and formats", response=pack_schemas.PACK, public=True, errors=(404,)
)
def get_pack(packId: str):
    caller, published = http.optional_caller(app), circulation().latest_publication
    return http.ok(api.get_pack(store(), packs(), caller, packId, published=published))


@app.get("/packs/<packId>/download")
@http.operation(
    summary="Download a pack (?format=html|md|json|epub): a redirect to a short-lived URL",
    status=302,
    public=True,
    errors=(404, 409, 422),
)
def download_pack(packId: str):
    caller = http.optional_caller(app)
    published = circulation().latest_publication
    return _redirect(api.download_url(store(), packs(), caller, packId, _format(), published=published))


@app.get("/sessions/<sessionId>/packs")
@http.operation(
    summary="A session's packs", response=pack_schemas.PACK, public=True, paginated=True, errors=(404,)
)
def list_session_packs(sessionId: str):
    limit, cursor = http.page_args(app)
    caller, published = http.optional_caller(app), circulation().latest_publication
    return http.ok(api.session_packs(store(), packs(), caller, sessionId, limit, cursor, published=published))


@app.get("/events/<eventId>/packs")
@http.operation(
    summary="An event's packs (its own and its sessions')",
    response=pack_schemas.PACK,
    public=True,
    paginated=True,
    errors=(404,),
)
def list_event_packs(eventId: str):
    limit, cursor = http.page_args(app)
    caller, published = http.optional_caller(app), circulation().latest_publication
    return http.ok(api.event_packs(store(), packs(), caller, eventId, limit, cursor, published=published))


@app.get("/me/packs")
@http.operation(summary="My personal packs", response=pack_schemas.PACK, paginated=True)
def list_my_packs():
    limit, cursor = http.page_args(app)
    return http.ok(api.my_packs(packs(), http.caller(app), limit, cursor))


# -- circulation: publishing, deliveries, and what reaches a member -------------------------------------


@app.post("/packs/<packId>/publish")
@http.operation(
    summary="Publish the pack's ready version to its audience (a member's own pack: circulate it)",
    response=circulation_schemas.PUBLICATION,
    status=202,
    errors=(403, 404, 409),
)
def publish_pack(packId: str):
    from backchannel.circulation import publishing

    pub, created = publishing.publish(store(), packs(), circulation(), http.caller(app), packId)
    return http.ok(pub.to_json(), 202 if created else 200, {"Location": f"/packs/{packId}/deliveries"})


@app.get("/packs/<packId>/publication-preview")
@http.operation(
    summary="What publishing the pack now would send: its items, and the notes left out and why",
    response=circulation_schemas.PREVIEW,
    errors=(403, 404),
)
def publication_preview(packId: str):
    from backchannel.circulation import publishing
    from backchannel.packs.compile import count_edition

    return http.ok(publishing.preview(store(), packs(), http.caller(app), packId, count_edition))


@app.delete("/packs/<packId>/publications/<version>")
@http.operation(
    summary="Revoke a publication: its inbox entries and links answer 410 from now on (its publisher)",
    response=circulation_schemas.PUBLICATION,
    errors=(403, 404, 422),
)
def revoke_publication(packId: str, version: str):
    from backchannel.circulation import publishing

    if not re.fullmatch(r"[1-9][0-9]{0,5}", version):
        raise ValidationFailed(FieldError("version", "must be a published version number"))
    number = int(version)
    pub = publishing.revoke(store(), packs(), circulation(), http.caller(app), packId, number)
    return http.ok(pub.to_json())


@app.get("/packs/<packId>/deliveries")
@http.operation(
    summary="Deliveries of a published pack, by channel and status (its publisher)",
    response=circulation_schemas.DELIVERIES,
    errors=(403, 404),
)
def pack_deliveries(packId: str):
    from backchannel.circulation import publishing

    return http.ok(publishing.deliveries(store(), packs(), circulation(), http.caller(app), packId))


@app.get("/me/inbox")
@http.operation(
    summary="Packs circulated to you, newest first", response=circulation_schemas.INBOX_ENTRY, paginated=True
)
def my_inbox():
    from backchannel.circulation import inbox

    limit, cursor = http.page_args(app)
    return http.ok(inbox.mine(circulation(), store(), http.caller(app), limit, cursor))


@app.get("/me/inbox/<entryId>/download")
@http.operation(
    summary="Download a pack from your inbox (?format=): the edition published to you",
    status=302,
    errors=(404, 409, 410, 422),
)
def inbox_download(entryId: str):
    from backchannel.circulation import inbox

    return _redirect(inbox.entry_download(circulation(), store(), http.caller(app), entryId, _format()))


@app.get("/feeds/inbox/<token>")
@http.operation(
    summary="Your inbox as a private Atom feed (the URL of a feed channel)", public=True, errors=(404,)
)
def inbox_feed(token: str):
    from backchannel.circulation import inbox
    from backchannel.feeds.atom import inbox_feed as render

    _, entries = inbox.feed(circulation(), store(), token)
    body = render(entries, feed_href=f"{http.base_url(app)}/feeds/inbox/{token}")
    return Response(
        status_code=200,
        content_type="application/atom+xml; charset=utf-8",
        body=body.decode(),
        headers={"Cache-Control": "private, no-store"},
    )


@app.get("/feeds/inbox/<token>/<entryId>")
@http.operation(
    summary="A pack of your inbox feed: the edition published to you",
    status=302,
    public=True,
    errors=(404, 409, 410),
)
def inbox_feed_download(token: str, entryId: str):
    from backchannel.circulation import inbox

    return _link(lambda: inbox.feed_download(circulation(), store(), token, entryId, _format()))


@app.get("/circulated/<token>")
@http.operation(
    summary="The link a circulated pack was sent with: the edition published to its recipient",
    status=302,
    public=True,
    errors=(404, 409, 410),
)
def circulated(token: str):
    from backchannel.circulation import inbox

    return _link(lambda: inbox.link_download(circulation(), store(), token, _format()))


def _link(resolve) -> Response:
    """A link a person opens from a mail, a status or a feed reader: a gone or unknown link answers a
    page that says why (problem+json to clients that do not ask for HTML)."""
    from backchannel.core.errors import Gone, NotFound

    try:
        return _redirect(resolve())
    except (Gone, NotFound) as err:
        accept = (app.current_event.headers or {}).get("accept") or ""
        if "text/html" not in accept:
            raise
        title = "This link no longer works" if err.status == 410 else "This link is not valid"
        return http.html_page(title, err.detail, status=err.status)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return http.handle(app, event, context)
