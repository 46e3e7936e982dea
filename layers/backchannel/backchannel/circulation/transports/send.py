"""Sending one delivery on a channel: a pack mail (SES), a signed webhook, a Mastodon status (and its
deletion). A transient failure raises ``Transient`` (retried with back-off), a refusal ``Refused``
(failed at once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backchannel.circulation.delivery import About, Outbound
import html
import json
from collections.abc import Callable
from typing import Any

from backchannel.circulation.model import Job
from backchannel.core.model import iso, utcnow


class Transient(Exception):
    pass


class Refused(Exception):
    pass


class ChannelGone(Refused):
    """The receiver answered 410 Gone: it wants no more deliveries, so the channel is disabled."""

    channel: Any = None  # set by the sender that knows it
    pack: tuple[str, int] | None = None  # the pack it was carrying, when not the job's (a digest)


def send_mail(
    out: Outbound,
    channel: Any,
    sealed: dict,
    key: str,
    subject: str,
    lead: str,
    items: list[tuple[str, str | None]],
) -> None:
    from backchannel.circulation.transports.mail import MailError, build_message

    unsubscribe = (
        f"{out.public_url}/unsubscribe/{sealed['unsubscribe']}" if sealed.get("unsubscribe") else None
    )
    why = "You receive this because you follow them (or the event) on Backchannel."
    text = "\n".join(
        [lead, "", *(f"{title}\n{link or out.public_url}\n" for title, link in items), why]
        + ([f"Unsubscribe: {unsubscribe}"] if unsubscribe else [])
    )
    page = (
        f"<p>{html.escape(lead)}</p><ul>"
        + "".join(
            f'<li><a href="{html.escape(link or out.public_url)}"><strong>{html.escape(title)}</strong></a></li>'
            for title, link in items
        )
        + f"</ul><p>{html.escape(why)}"
        + (f' <a href="{html.escape(unsubscribe)}">Unsubscribe</a>.' if unsubscribe else "")
        + "</p>"
    )
    raw = build_message(
        sender=out.mail_from,
        to=channel.settings["address"],
        subject=subject.replace("\r", " ").replace("\n", " ")[:200],
        text=text,
        html=page,
        unsubscribe_url=unsubscribe,
        message_id_key=key,
    )
    try:
        out.mailer.send(sender=out.mail_from, to=channel.settings["address"], raw=raw)
    except MailError as err:
        raise (Transient if err.retryable else Refused)(str(err)) from None


def send_webhook(out: Outbound, channel: Any, sealed: dict, job: Job, info: About, link: str | None) -> None:
    data: dict[str, Any] = {
        "packId": job.pack_id,
        "version": job.version,
        "title": info.title,
        "kind": info.kind,
    }
    if job.kind == "publish":
        data |= {"eventId": info.event_id, "from": info.sender_name, "url": link}
        post_webhook(out, channel, sealed, job.id, "pack.published", data)
    else:
        data["reason"] = "something the pack held was withdrawn; its link now serves the pack without it"
        post_webhook(out, channel, sealed, job.id, "pack.retracted", data)


def post_webhook(out: Outbound, channel: Any, sealed: dict, msg_id: str, kind: str, data: dict) -> None:
    from backchannel.circulation.transports import outbound, webhooks

    sent_at = utcnow()
    body = json.dumps({"type": kind, "timestamp": iso(sent_at), "data": data}).encode()
    headers = webhooks.headers(sealed["secret"], msg_id, int(sent_at.timestamp()), body)
    try:
        answer = out.send(
            "POST",
            channel.settings["url"],
            headers=headers,
            body=body,
            timeout_s=out.timeout_s,
            allow=out.allow,
        )
    except outbound.UnsafeUrl as err:
        raise Refused(f"the webhook URL is no longer safe: {err}") from None
    except outbound.TransportError as err:
        raise Transient(str(err)) from None
    if 200 <= answer.status < 300:
        return
    if answer.status in (408, 425, 429) or answer.status >= 500:
        raise Transient(f"the webhook answered HTTP {answer.status}")
    if answer.status == 410:
        raise ChannelGone("the webhook answered HTTP 410 Gone: its channel is disabled")
    raise Refused(f"the webhook refused the delivery (HTTP {answer.status})")


def send_mastodon(
    repo: Any, out: Outbound, channel: Any, sealed: dict, job: Job, info: About, link: str | None
):
    if job.kind == "publish":
        return post_status(out, channel, sealed, job.id, f"{info.title}\n{link}")
    original = repo.get_delivery(
        Job(job.pack_id, job.version, job.recipient_id, job.channel_id, job.channel_type)
    )
    if original is not None and original.remote_id:
        mastodon_call(
            lambda m: m.delete_status(
                channel.settings["instanceUrl"],
                sealed["accessToken"],
                original.remote_id,
                send=out.send,
                allow=out.allow,
                timeout_s=out.timeout_s,
            )
        )
    return None


def post_status(out: Outbound, channel: Any, sealed: dict, key: str, text: str) -> str:
    return mastodon_call(
        lambda m: m.post_status(
            channel.settings["instanceUrl"],
            sealed["accessToken"],
            text,
            idempotency_key=key,
            visibility=channel.settings.get("visibility") or "direct",
            send=out.send,
            allow=out.allow,
            timeout_s=out.timeout_s,
        )
    )


def mastodon_call(call: Callable[[Any], Any]) -> Any:
    from backchannel.circulation.transports import mastodon, outbound

    try:
        return call(mastodon)
    except mastodon.MastodonError as err:
        raise (Transient if err.retryable else Refused)(str(err)) from None
    except outbound.UnsafeUrl as err:
        raise Refused(f"the instance URL is no longer safe: {err}") from None
    except outbound.TransportError as err:
        raise Transient(str(err)) from None
