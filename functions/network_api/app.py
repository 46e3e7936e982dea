"""Network API: follows, blocks, public profiles, and the channels packs reach a member by (with the
email verification and the one-click unsubscribe of RFC 8058)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from backchannel.circulation import channels, network, schemas
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.config import get_config

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)
repo = wiring.lazy_factory("backchannel.circulation.dynamo", "DynamoCirculationRepo")


@wiring.factory
def sealer():
    from backchannel.circulation.transports.sealing import Sealer

    return Sealer(get_config().require("circulation_key_id"))


@wiring.factory
def code_mac():
    from backchannel.circulation.transports.sealing import KmsMac

    return KmsMac(get_config().require("circulation_mac_key_id"))


def _mine(read):
    """A page of the caller's follows or blocks (``read``)."""
    limit, cursor = http.page_args(app)
    return http.page(read(repo(), http.caller(app), limit, cursor))


def _remove(remove, item_id: str):
    """One of the caller's follows, blocks or channels gone (``remove``): 204."""
    remove(repo(), http.caller(app), item_id)
    return http.no_content()


# -- follows ------------------------------------------------------------------------------------------


@app.post(
    "/me/follows",
    limit="follows",
    request=schemas.FOLLOW_REQUEST,
    response=schemas.FOLLOW,
    errors=(403, 404),
    replay=True,
)
def follow():
    """Follow a member, an event or a session (following twice is the same follow)"""
    caller = http.caller(app)
    record, created = network.follow(store(), repo(), caller, http.body(app, schemas.FOLLOW_REQUEST))
    return http.ok(record.to_json(), 201 if created else 200, {"Location": f"/me/follows/{record.id}"})


@app.get("/me/follows", response=schemas.FOLLOW, paginated=True)
def my_follows():
    """Whom and what you follow"""
    return _mine(network.my_follows)


@app.delete("/me/follows/<followId>", limit="follows", errors=(404,))
def unfollow(followId: str):
    """Stop following"""
    return _remove(network.unfollow, followId)


@app.get("/members/<handle>", response=schemas.PROFILE, public=True, errors=(404,))
def profile(handle: str):
    """A member's public profile, with follower and following counts"""
    return http.ok(network.profile(store(), repo(), http.optional_caller(app), handle))


# -- blocks -------------------------------------------------------------------------------------------


@app.post("/me/blocks", limit="follows", request=schemas.BLOCK_REQUEST, response=schemas.BLOCK)
def block():
    """Block a member: they are hidden from you and nothing of theirs reaches you"""
    record = network.block(store(), repo(), http.caller(app), http.body(app, schemas.BLOCK_REQUEST))
    return http.created(record.to_json(), f"/me/blocks/{record.blocked_id}")


@app.get("/me/blocks", response=schemas.BLOCK, paginated=True)
def my_blocks():
    """Members you blocked"""
    return _mine(network.my_blocks)


@app.delete("/me/blocks/<memberId>", limit="follows", errors=(404,))
def unblock(memberId: str):
    """Unblock a member"""
    return _remove(network.unblock, memberId)


# -- channels -----------------------------------------------------------------------------------------


@app.post(
    "/me/channels",
    limit="channels",
    request=schemas.CHANNEL_REQUEST,
    response=schemas.CHANNEL,
    errors=(409, 429),
)
def add_channel():
    """Add a channel (email, webhook, feed, mastodon); secrets are shown in this answer only"""
    from backchannel.circulation.transports import mastodon, outbound

    cfg = get_config()
    allow = cfg.outbound_allow_list
    body = channels.create(
        repo(),
        sealer(),
        http.caller(app),
        http.body(app, schemas.CHANNEL_REQUEST),
        check_url=lambda url: outbound.check_url(url, allow=allow),
        normalise_instance=lambda url: mastodon.normalise_instance(url, allow=allow),
        check_token=lambda url, token: mastodon.verify_credentials(
            url, token, allow=allow, timeout_s=cfg.outbound_timeout_s
        ),
        code_mac=code_mac(),
        public_url=http.base_url(app),
    )
    return http.ok(body, 201, {"Location": f"/me/channels/{body['id']}", "Cache-Control": "no-store"})


@app.get("/me/channels", response=schemas.CHANNEL_LIST)
def my_channels():
    """Your channels (the inbox is always there)"""
    return http.ok({"items": channels.mine(repo(), http.caller(app))})


@app.delete("/me/channels/<channelId>", limit="channels", errors=(404,))
def remove_channel(channelId: str):
    """Remove a channel (a feed's URL stops working)"""
    return _remove(channels.remove, channelId)


@app.post(
    "/me/channels/<channelId>/verification",
    limit="channels",
    request=schemas.VERIFY_REQUEST,
    response=schemas.CHANNEL,
    status=200,
    errors=(404, 409),
)
def verify_channel(channelId: str):
    """Confirm an email channel with the code mailed to it"""
    code = http.body(app, schemas.VERIFY_REQUEST)
    return http.ok(channels.verify(repo(), http.caller(app), channelId, code, code_mac=code_mac()))


def _page(title: str, text: str, form_action: str | None = None) -> Response:
    return http.html_page(title, text, form_action=form_action)


@app.get("/unsubscribe/<token>", public=True)
def unsubscribe_page(token: str):
    """The unsubscribe page of a mail's link (a button; nothing changes on GET)"""
    return _page(
        "Unsubscribe from conference packs",
        "Stop sending packs to this address? You can add it again from your channels.",
        f"/unsubscribe/{token}",
    )


@app.post("/unsubscribe/<token>", status=200, public=True, errors=(404,))
def unsubscribe(token: str):
    """One-click unsubscribe (RFC 8058)"""
    channels.unsubscribe(repo(), token)
    return _page("Unsubscribed", "No more packs will be sent to this address.")


lambda_handler = http.lambda_handler(app)
