"""Channels: how packs reach a member besides the inbox (which every member has).

| type | settings | status on creation | shown once |
|---|---|---|---|
| email | address | pending until the emailed 6-digit code is confirmed (5 tries) | |
| webhook | url (https, public address) | active | the signing secret |
| feed | | active | the private Atom URL (its token is stored hashed) |
| mastodon | instanceUrl, accessToken (write:statuses; checked with the instance), visibility | active | |

Secrets (webhook secret, Mastodon token, the email's verification code and unsubscribe token) are
sealed with the circulation key, bound to the member and the channel; they are never returned after
creation and never logged. The code is compared by its HMAC under a KMS HMAC key (``code_mac``), so
reading the table is not enough to find it; each try is counted before the comparison, and after
:data:`MAX_CODE_ATTEMPTS` wrong ones the code is void. Verification mails are capped per address and
per member and UTC day (:data:`MAX_CODE_MAILS_PER_ADDRESS`, :data:`MAX_CODE_MAILS_PER_MEMBER`), counted
apart from the channel, so deleting and adding it again does not reset them. URLs are checked against private, loopback, link-local and metadata
addresses here and again by every send. Pure: the repo, the sealer and the URL check are parameters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

from backchannel.circulation.model import Channel, CodeMail
from backchannel.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from backchannel.core.ids import new_ulid
from backchannel.core.model import Caller, Input, iso, read_input, utcnow

MAX_CHANNELS = 10
MAX_CODE_ATTEMPTS = 5  # wrong codes before the code is void
MAX_CODE_MAILS_PER_ADDRESS = 3  # verification mails to one address a UTC day, whoever adds it
MAX_CODE_MAILS_PER_MEMBER = 10  # verification mails one member causes a UTC day
_REQUIRED = {
    "email": ("address",),
    "webhook": ("url",),
    "feed": (),
    "mastodon": ("instanceUrl", "accessToken"),
}
_ALLOWED = {
    "email": {"address"},
    "webhook": {"url"},
    "feed": set(),
    "mastodon": {"instanceUrl", "accessToken", "visibility"},
}


def token_hash(token: str) -> str:
    """The SHA-256 hex of a token we hand out (feed URL, unsubscribe or pack link): what we store and
    look it up by, so a leaked table leaks no working link."""
    return hashlib.sha256(token.encode()).hexdigest()


def code_hash(code_mac: Callable[[str], str], channel_id: str, code: str) -> str:
    """The keyed hash of a channel's verification code (six digits are too few for an unkeyed one)."""
    return code_mac(f"code:{channel_id}:{code}")


def context(channel: Channel) -> dict[str, str]:
    """The encryption context of a channel's sealed secrets: they open for this channel only."""
    return {"memberId": channel.member_id, "channelId": channel.id}


def open_secrets(sealer: Any, channel: Channel) -> dict[str, str]:
    return json.loads(sealer.open(channel.sealed, context(channel))) if channel.sealed else {}


def _check_settings(kind: str, body: dict) -> None:
    errors = [
        FieldError(name, f"is required for a {kind} channel")
        for name in _REQUIRED[kind]
        if not body.get(name)
    ]
    errors += [
        FieldError(name, f"does not apply to a {kind} channel")
        for name in ("address", "url", "instanceUrl", "accessToken", "visibility")
        if name in body and name not in _ALLOWED[kind]
    ]
    if errors:
        raise ValidationFailed(errors)


def _safe(check_url: Callable[[str], Any], name: str, url: str) -> None:
    try:
        check_url(url)
    except Exception as err:  # outbound.UnsafeUrl: its message says what is wrong with the URL
        raise ValidationFailed(FieldError(name, str(err))) from None


def _token_works(check_token: Callable[[str, str], Any], instance: str, token: str) -> None:
    """The instance accepts the token (GET verify_credentials), or 422 naming the field at fault."""
    try:
        check_token(instance, token)
    except Exception as err:  # mastodon.MastodonError: 401/403 is the token's fault, else the instance's
        field = "accessToken" if getattr(err, "status", None) in (401, 403) else "instanceUrl"
        raise ValidationFailed(FieldError(field, str(err))) from None


def create(
    repo: Any,
    sealer: Any,
    caller: Caller,
    data: Input,
    *,
    check_url: Callable[[str], Any],
    normalise_instance: Callable[[str], str],
    check_token: Callable[[str, str], Any],
    code_mac: Callable[[str], str],
    public_url: str,
    now: dt.datetime | None = None,
) -> dict:
    """Create a channel; the answer carries what is shown only once (webhook secret, feed URL)."""
    body = read_input(data)
    kind = body["type"]
    _check_settings(kind, body)
    if len(repo.list_channels(caller.member_id)) >= MAX_CHANNELS:
        raise Conflict(f"you have {MAX_CHANNELS} channels already: delete one first")
    at = now or utcnow()
    stamp = iso(at)
    channel = Channel(
        id=new_ulid(),
        member_id=caller.member_id,
        type=kind,
        mode=body.get("mode") or "immediate",
        status="active",
        settings={},
        created_at=stamp,
        updated_at=stamp,
    )
    sealed: dict[str, str] = {}
    tokens: dict[str, str] = {}
    shown: dict[str, str] = {}
    code_mail = None
    if kind == "email":
        channel.status = "pending"
        channel.settings = {"address": body["address"]}
        code = f"{secrets.randbelow(10**6):06d}"
        unsubscribe = secrets.token_urlsafe(24)
        channel.code_hash = code_hash(code_mac, channel.id, code)
        sealed = {"code": code, "unsubscribe": unsubscribe}
        address_key = code_mac(f"address:{body['address'].strip().lower()}")
        code_mail = CodeMail(
            address_key, at.date().isoformat(), MAX_CODE_MAILS_PER_ADDRESS, MAX_CODE_MAILS_PER_MEMBER
        )
        tokens["unsubscribe"] = token_hash(unsubscribe)
    elif kind == "webhook":
        _safe(check_url, "url", body["url"])
        from backchannel.circulation.transports.webhooks import new_secret

        secret = new_secret()
        channel.settings = {"url": body["url"]}
        sealed = {"secret": secret}
        shown["secret"] = secret
    elif kind == "mastodon":
        try:
            instance = normalise_instance(body["instanceUrl"])
        except ValueError as err:
            raise ValidationFailed(FieldError("instanceUrl", str(err))) from None
        _safe(check_url, "instanceUrl", instance)
        _token_works(check_token, instance, body["accessToken"])
        channel.settings = {"instanceUrl": instance, "visibility": body.get("visibility") or "direct"}
        sealed = {"accessToken": body["accessToken"]}
    else:  # feed: a private URL to the member's inbox as Atom
        feed = secrets.token_urlsafe(24)
        tokens["feed"] = token_hash(feed)
        shown["feedUrl"] = f"{public_url}/feeds/inbox/{feed}"
    if sealed:
        channel.sealed = sealer.seal(json.dumps(sealed), context(channel))
    repo.create_channel(channel, tokens, code_mail=code_mail)
    return {**channel.to_json(), **shown}


def verify(
    repo: Any,
    caller: Caller,
    channel_id: str,
    data: Input,
    *,
    code_mac: Callable[[str], str],
    now: dt.datetime | None = None,
) -> dict:
    """Confirm an email channel with the code sent to its address (one of :data:`MAX_CODE_ATTEMPTS`
    tries, counted before the code is compared)."""
    channel = repo.get_channel(caller.member_id, channel_id)
    if channel is None:
        raise NotFound(f"channel {channel_id} not found")
    code = read_input(data)["code"]
    if channel.type != "email" or channel.status != "pending":
        raise Conflict("this channel needs no verification")
    if not repo.take_code_attempt(channel, MAX_CODE_ATTEMPTS):
        raise Conflict(
            f"{MAX_CODE_ATTEMPTS} wrong codes: this code no longer works. "
            "Delete the channel and add it again for a new one"
        )
    if not channel.code_hash or not hmac.compare_digest(
        channel.code_hash, code_hash(code_mac, channel.id, code)
    ):
        left = MAX_CODE_ATTEMPTS - channel.code_attempts - 1
        raise ValidationFailed(FieldError("code", f"is not the code we sent ({max(left, 0)} tries left)"))
    stamp = iso(now or utcnow())
    if not repo.set_status(channel, "active", expect="pending", now=stamp):
        raise Conflict("the channel changed meanwhile: read it again")
    channel.status, channel.updated_at = "active", stamp
    return channel.to_json()


def remove(repo: Any, caller: Caller, channel_id: str) -> None:
    if not repo.delete_channel(caller.member_id, channel_id):
        raise NotFound(f"channel {channel_id} not found")


def mine(repo: Any, caller: Caller) -> list[dict]:
    return [c.to_json() for c in sorted(repo.list_channels(caller.member_id), key=lambda c: c.id)]


def unsubscribe(repo: Any, token: str, *, now: dt.datetime | None = None) -> bool:
    """One-click unsubscribe (RFC 8058) from the link in a mail; True if a channel was stopped now.
    An unknown token gets NotFound; a second click changes nothing."""
    found = repo.token(token_hash(token))
    if found is None or found["purpose"] != "unsubscribe":
        raise NotFound("this unsubscribe link is not valid (the channel may have been deleted)")
    channel = repo.get_channel(found["memberId"], found["channelId"])
    if channel is None:
        raise NotFound("this unsubscribe link is not valid (the channel may have been deleted)")
    if channel.status == "unsubscribed":
        return False
    return repo.set_status(channel, "unsubscribed", expect=channel.status, now=iso(now or utcnow()))


def feed_owner(repo: Any, token: str) -> str:
    """The member whose inbox a feed token opens (404 for anything else)."""
    found = repo.token(token_hash(token))
    if found is None or found["purpose"] != "feed":
        raise NotFound("feed not found")
    return found["memberId"]
