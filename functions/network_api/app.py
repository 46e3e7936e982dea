"""Network API: follows, blocks, public profiles, and the channels packs reach a member by (with the
email verification and the one-click unsubscribe of RFC 8058)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths

from backchannel.circulation import channels, network, schemas
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.config import get_config
from backchannel.core.observability import logger, metrics

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)


@wiring.factory
def repo():
    from backchannel.circulation.dynamo import DynamoCirculationRepo

    return DynamoCirculationRepo()


@wiring.factory
def sealer():
    from backchannel.circulation.transports.sealing import Sealer

    return Sealer(get_config().require("circulation_key_id"))


# -- follows ------------------------------------------------------------------------------------------


@app.post("/me/follows")
@http.operation(
    summary="Follow a member, an event or a session (following twice is the same follow)",
    request=schemas.FOLLOW_REQUEST,
    response=schemas.FOLLOW,
    status=201,
    errors=(403, 404),
)
def follow():
    caller = http.caller(app)
    record, created = network.follow(
        store(), repo(), caller, lambda: http.json_body(app, schemas.FOLLOW_REQUEST)
    )
    return http.ok(record.to_json(), 201 if created else 200, {"Location": f"/me/follows/{record.id}"})


@app.get("/me/follows")
@http.operation(summary="Whom and what you follow", response=schemas.FOLLOW, paginated=True)
def my_follows():
    limit, cursor = http.page_args(app)
    return http.page(network.my_follows(repo(), http.caller(app), limit, cursor), lambda f: f.to_json())


@app.delete("/me/follows/<followId>")
@http.operation(summary="Stop following", status=204, errors=(404,))
def unfollow(followId: str):
    network.unfollow(repo(), http.caller(app), followId)
    return http.no_content()


@app.get("/members/<handle>")
@http.operation(
    summary="A member's public profile, with follower and following counts",
    response=schemas.PROFILE,
    public=True,
    errors=(404,),
)
def profile(handle: str):
    return http.ok(network.profile(store(), repo(), http.optional_caller(app), handle))


# -- blocks -------------------------------------------------------------------------------------------


@app.post("/me/blocks")
@http.operation(
    summary="Block a member: they are hidden from you and nothing of theirs reaches you",
    request=schemas.BLOCK_REQUEST,
    response=schemas.BLOCK,
    status=201,
)
def block():
    caller = http.caller(app)
    record = network.block(store(), repo(), caller, lambda: http.json_body(app, schemas.BLOCK_REQUEST))
    return http.created(record.to_json(), f"/me/blocks/{record.blocked_id}")


@app.get("/me/blocks")
@http.operation(summary="Members you blocked", response=schemas.BLOCK, paginated=True)
def my_blocks():
    limit, cursor = http.page_args(app)
    return http.page(network.my_blocks(repo(), http.caller(app), limit, cursor), lambda b: b.to_json())


@app.delete("/me/blocks/<memberId>")
@http.operation(summary="Unblock a member", status=204, errors=(404,))
def unblock(memberId: str):
    network.unblock(repo(), http.caller(app), memberId)
    return http.no_content()


# -- channels -----------------------------------------------------------------------------------------


@app.post("/me/channels")
@http.operation(
    summary="Add a channel (email, webhook, feed, mastodon); secrets are shown in this answer only",
    request=schemas.CHANNEL_REQUEST,
    response=schemas.CHANNEL,
    status=201,
    errors=(409,),
)
def add_channel():
    from backchannel.circulation.transports import mastodon, outbound

    cfg = get_config()
    allow = cfg.outbound_allow_list
    body = channels.create(
        repo(),
        sealer(),
        http.caller(app),
        lambda: http.json_body(app, schemas.CHANNEL_REQUEST),
        check_url=lambda url: outbound.check_url(url, allow=allow),
        normalise_instance=lambda url: mastodon.normalise_instance(url, allow=allow),
        public_url=http.base_url(app),
    )
    return http.ok(body, 201, {"Location": f"/me/channels/{body['id']}", "Cache-Control": "no-store"})


@app.get("/me/channels")
@http.operation(summary="Your channels (the inbox is always there)", response=schemas.CHANNEL)
def my_channels():
    return http.ok({"items": channels.mine(repo(), http.caller(app))})


@app.delete("/me/channels/<channelId>")
@http.operation(summary="Remove a channel (a feed's URL stops working)", status=204, errors=(404,))
def remove_channel(channelId: str):
    channels.remove(repo(), http.caller(app), channelId)
    return http.no_content()


@app.post("/me/channels/<channelId>/verification")
@http.operation(
    summary="Confirm an email channel with the code mailed to it",
    request=schemas.VERIFY_REQUEST,
    response=schemas.CHANNEL,
    errors=(404, 409),
)
def verify_channel(channelId: str):
    caller = http.caller(app)
    return http.ok(
        channels.verify(repo(), caller, channelId, lambda: http.json_body(app, schemas.VERIFY_REQUEST))
    )


def _page(title: str, text: str, form_action: str | None = None) -> Response:
    return http.html_page(title, text, form_action=form_action)


@app.get("/unsubscribe/<token>")
@http.operation(
    summary="The unsubscribe page of a mail's link (a button; nothing changes on GET)", public=True
)
def unsubscribe_page(token: str):
    return _page(
        "Unsubscribe from conference packs",
        "Stop sending packs to this address? You can add it again from your channels.",
        f"/unsubscribe/{token}",
    )


@app.post("/unsubscribe/<token>")
@http.operation(summary="One-click unsubscribe (RFC 8058)", public=True, errors=(404,))
def unsubscribe(token: str):
    channels.unsubscribe(repo(), token)
    return _page("Unsubscribed", "No more packs will be sent to this address.")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return http.handle(app, event, context)
