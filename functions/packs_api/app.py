"""Packs API: ask for conference packs (202: built by the compile worker), follow their status,
download them (a redirect to a short-lived presigned URL of the served version)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from backchannel.circulation import schemas as circulation_schemas
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core import schemas as core_schemas
from backchannel.messaging.bus import default_publisher
from backchannel.packs import api
from backchannel.packs import schemas as pack_schemas

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)
packs = wiring.lazy_factory("backchannel.packs.dynamo", "DynamoPacksRepo")
circulation = wiring.lazy_factory("backchannel.circulation.dynamo", "DynamoCirculationRepo")


def _redirect(url: str) -> Response:
    return Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"}, body="")


def _format() -> str | None:
    return http.query(app, "format")  # absent or empty: html


def _accepted(pack) -> Response:
    return http.ok(pack, 202, {"Location": f"/packs/{pack['id']}"})


@app.post(
    "/sessions/<sessionId>/packs", limit="packs", response=pack_schemas.PACK, status=202, errors=(403, 404)
)
def request_session_pack(sessionId: str):
    """Build a session's pack (organisers)"""
    return _accepted(
        api.request_session_pack(store(), packs(), default_publisher(), http.caller(app), sessionId)
    )


@app.post("/events/<eventId>/packs", limit="packs", response=pack_schemas.PACK, status=202, errors=(403, 404))
def request_event_pack(eventId: str):
    """Build an event's pack (organisers)"""
    return _accepted(api.request_event_pack(store(), packs(), default_publisher(), http.caller(app), eventId))


@app.post(
    "/me/packs",
    limit="packs",
    request=pack_schemas.PERSONAL_PACK_REQUEST,
    response=pack_schemas.PACK,
    status=202,
    errors=(403, 404),
)
def request_personal_pack():
    """Build my own pack of an event I attend or organise"""
    caller, body = http.caller(app), http.body(app, pack_schemas.PERSONAL_PACK_REQUEST)
    return _accepted(api.request_personal_pack(store(), packs(), default_publisher(), caller, body))


@app.get("/packs/<packId>", response=pack_schemas.PACK, public=True, errors=(404,))
def get_pack(packId: str):
    """A pack: its status, progress and formats"""
    caller, published = http.optional_caller(app), circulation().latest_publication
    return http.ok(api.get_pack(store(), packs(), caller, packId, published=published))


@app.get("/packs/<packId>/download", status=302, public=True, errors=(404, 409, 422))
def download_pack(packId: str):
    """Download a pack (?format=html|md|json|epub): a redirect to a short-lived URL"""
    caller = http.optional_caller(app)
    published = circulation().latest_publication
    return _redirect(api.download_url(store(), packs(), caller, packId, _format(), published=published))


@app.get(
    "/sessions/<sessionId>/packs", response=pack_schemas.PACK, public=True, paginated=True, errors=(404,)
)
def list_session_packs(sessionId: str):
    """A session's packs"""
    limit, cursor = http.page_args(app)
    caller, published = http.optional_caller(app), circulation().latest_publication
    return http.ok(api.session_packs(store(), packs(), caller, sessionId, limit, cursor, published=published))


@app.get("/events/<eventId>/packs", response=pack_schemas.PACK, public=True, paginated=True, errors=(404,))
def list_event_packs(eventId: str):
    """An event's packs (its own and its sessions')"""
    limit, cursor = http.page_args(app)
    caller, published = http.optional_caller(app), circulation().latest_publication
    return http.ok(api.event_packs(store(), packs(), caller, eventId, limit, cursor, published=published))


@app.get("/me/packs", response=pack_schemas.PACK, paginated=True)
def list_my_packs():
    """My personal packs"""
    limit, cursor = http.page_args(app)
    return http.ok(api.my_packs(packs(), http.caller(app), limit, cursor))


# -- circulation: publishing, deliveries, and what reaches a member -------------------------------------


@app.post(
    "/packs/<packId>/publish",
    limit="packs",
    response=circulation_schemas.PUBLICATION,
    status=202,
    errors=(403, 404, 409),
    replay=True,
)
def publish_pack(packId: str):
    """Publish the pack's ready version to its audience (a member's own pack: circulate it)"""
    from backchannel.circulation import publishing

    pub, created = publishing.publish(store(), packs(), circulation(), http.caller(app), packId)
    return http.ok(pub.to_json(), 202 if created else 200, {"Location": f"/packs/{packId}/deliveries"})


@app.get("/packs/<packId>/publication-preview", response=circulation_schemas.PREVIEW, errors=(403, 404))
def publication_preview(packId: str):
    """What publishing the pack now would send: its items, and the notes left out and why"""
    from backchannel.circulation import publishing
    from backchannel.packs.compile import count_edition

    return http.ok(publishing.preview(store(), packs(), http.caller(app), packId, count_edition))


@app.delete(
    "/packs/<packId>/publications/<version>",
    limit="packs",
    response=circulation_schemas.PUBLICATION,
    status=200,
    errors=(403, 404, 422),
    path={"version": core_schemas.VERSION},
)
def revoke_publication(packId: str, version: str):
    """Revoke a publication: its inbox entries and links answer 410 from now on (its publisher)"""
    from backchannel.circulation import publishing

    number = int(core_schemas.VERSION.parse(version, "version"))
    pub = publishing.revoke(store(), packs(), circulation(), http.caller(app), packId, number)
    return http.ok(pub.to_json())


@app.get("/packs/<packId>/deliveries", response=circulation_schemas.DELIVERIES, errors=(403, 404))
def pack_deliveries(packId: str):
    """Deliveries of a published pack, by channel and status (its publisher)"""
    from backchannel.circulation import publishing

    return http.ok(publishing.deliveries(store(), packs(), circulation(), http.caller(app), packId))


@app.get("/me/inbox", response=circulation_schemas.INBOX_ENTRY, paginated=True)
def my_inbox():
    """Packs circulated to you, newest first"""
    from backchannel.circulation import inbox

    limit, cursor = http.page_args(app)
    return http.ok(inbox.mine(circulation(), store(), http.caller(app), limit, cursor))


@app.get("/me/inbox/<entryId>/download", status=302, errors=(404, 409, 410, 422))
def inbox_download(entryId: str):
    """Download a pack from your inbox (?format=): the edition published to you"""
    from backchannel.circulation import inbox

    return _redirect(inbox.entry_download(circulation(), store(), http.caller(app), entryId, _format()))


@app.get("/feeds/inbox/<token>", public=True, errors=(404,))
def inbox_feed(token: str):
    """Your inbox as a private Atom feed (the URL of a feed channel)"""
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


@app.get("/feeds/inbox/<token>/<entryId>", status=302, public=True, errors=(404, 409, 410))
def inbox_feed_download(token: str, entryId: str):
    """A pack of your inbox feed: the edition published to you"""
    from backchannel.circulation import inbox

    return _link(lambda: inbox.feed_download(circulation(), store(), token, entryId, _format()))


@app.get("/circulated/<token>", status=302, public=True, errors=(404, 409, 410))
def circulated(token: str):
    """The link a circulated pack was sent with: the edition published to its recipient"""
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


lambda_handler = http.lambda_handler(app)
