"""``GET /_local/mail``: the mail SES accepted, for developers (nothing is delivered locally).

moto keeps every message SES accepts in its in-process backend, newest last:
``moto.ses.models.ses_backends[account][region].sent_messages`` (SES v2 sends land there too; its
backend stores nothing of its own). A raw send (``sesv2 send_email(Content={"Raw": ...})`` or SES v1
``send_raw_email``) is kept as the MIME text; a simple send as subject and one body; a templated send
as the template's name and data. The mailbox reads that list on each request, so it needs no polling
and follows moto's resets, and presents each message as the recipient's mail client would see it:

    GET /_local/mail                  {"items": [{id, from, to, subject, date, text, html, headers,
                                                  attachments}]}
    GET /_local/mail?to=<address>     only mail to that address (any of the envelope recipients)
    GET /_local/mail/<id>             the message as message/rfc822 (404 if unknown)

``id`` is the MessageId SES returned to the sender; ``to`` lists the envelope recipients (To, Cc and
Bcc) as bare addresses; ``headers`` holds the message's own headers (``List-Unsubscribe``,
``List-Unsubscribe-Post``, ``Message-ID`` ...), one value per name. A simple send's single body is
taken as HTML when it starts with a tag (SES does not record which part it was), else as text. The
backend lives in this process, which is where the local runtime runs moto (``ThreadedMotoServer``)
and where ``moto.mock_aws()`` runs it in tests.
"""

from __future__ import annotations

import email
import logging
import re
from collections.abc import Callable, Iterable
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import Message, RawMessage, TemplateMessage, ses_backends

from local.wsgi import respond

if TYPE_CHECKING:
    from local.gateway import Gateway

__all__ = ["PATH", "Mailbox", "mount_mailbox"]

log = logging.getLogger("local.mailbox")

PATH = "/_local/mail"
_HTML_START = re.compile(r"\s*<")


class Mailbox:
    """The sent mail of one account and region of moto's SES, as JSON and as raw messages."""

    def __init__(self, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self.region = region
        self.account_id = account_id

    def mount(self, gateway: Gateway) -> None:
        """Serve ``GET /_local/mail`` and ``GET /_local/mail/<id>`` on the gateway."""
        gateway.add_route("GET", PATH, self)

    # -- reading -----------------------------------------------------------------------------------
    def _backend(self) -> Any:
        return ses_backends[self.account_id][self.region]  # looked up each time: a moto reset replaces it

    def items(self, *, to: str | None = None) -> list[dict[str, Any]]:
        """The messages as JSON items, oldest first; ``to`` keeps those with that recipient."""
        backend = self._backend()
        wanted = to.strip().lower() if to else None
        items = []
        for sent in list(backend.sent_messages):
            recipients = _recipients(sent.destinations)
            if wanted is not None and wanted not in (r.lower() for r in recipients):
                continue
            message = _as_email(sent, backend)
            if message is not None:
                items.append(_item(sent.id, recipients, message))
        return items

    def raw(self, message_id: str) -> bytes | None:
        """The message with that id as the recipient would get it (RFC 5322 bytes), or None."""
        backend = self._backend()
        sent = next((m for m in list(backend.sent_messages) if m.id == message_id), None)
        if isinstance(sent, RawMessage):
            return sent.raw_data.encode()  # exactly as sent
        message = _as_email(sent, backend) if sent is not None else None
        return message.as_bytes() if message is not None else None

    # -- WSGI --------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = (environ.get("PATH_INFO") or "").rstrip("/")
        try:
            if path == PATH:
                to = _query(environ.get("QUERY_STRING") or "").get("to")
                return respond(start_response, 200, {"items": self.items(to=to)})
            if path.startswith(f"{PATH}/") and "/" not in path[len(PATH) + 1 :]:
                raw = self.raw(path[len(PATH) + 1 :])
                if raw is not None:
                    start_response(
                        "200 OK",
                        [
                            ("Content-Type", "message/rfc822"),
                            ("Content-Length", str(len(raw))),
                            ("Cache-Control", "no-store"),
                        ],
                    )
                    return [raw]
        except Exception as exc:  # say what went wrong rather than drop the connection
            log.exception("reading the sent mail failed")
            return respond(start_response, 500, {"message": f"mailbox: {exc}"})
        return respond(start_response, 404, {"message": "Not Found"})


def mount_mailbox(gateway: Gateway, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> Mailbox:
    """A :class:`Mailbox` for moto's SES in ``region``, mounted on the gateway."""
    mailbox = Mailbox(region, account_id)
    mailbox.mount(gateway)
    return mailbox


def _as_email(sent: Any, backend: Any) -> EmailMessage | None:
    """What the recipient would receive, whichever way it was sent."""
    if isinstance(sent, RawMessage):
        message = email.message_from_string(sent.raw_data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message
    if isinstance(sent, Message):
        message = _envelope(sent)
        message["Subject"] = sent.subject or ""
        body = sent.body or ""
        message.set_content(body, subtype="html" if _HTML_START.match(body) else "plain")
        return message
    if isinstance(sent, TemplateMessage):
        try:
            rendered = backend.render_template({"name": sent.template, "data": sent.template_data})
        except Exception:  # the template is gone, or the data does not fit it
            log.warning("mailbox: templated message %s could not be rendered", sent.id)
            return _envelope(sent)
        message = email.message_from_string(rendered, policy=policy.default)
        assert isinstance(message, EmailMessage)
        del message["Date"]  # moto stamps the time of rendering, i.e. now
        for name, value in _envelope(sent).items():
            message[name] = value
        return message
    return None


def _envelope(sent: Message | TemplateMessage) -> EmailMessage:
    """A message with From, To and Cc from a simple or templated send's parameters."""
    message = EmailMessage()
    message["From"] = sent.source
    destinations = sent.destinations if isinstance(sent.destinations, dict) else {}
    for header, key in (("To", "ToAddresses"), ("Cc", "CcAddresses")):
        if destinations.get(key):
            message[header] = ", ".join(destinations[key])
    return message


def _recipients(destinations: Any) -> list[str]:
    """Bare addresses, in order, once each: from a raw send's list, a simple send's dict (To, Cc, Bcc)
    or a bulk send's list of destinations."""
    if isinstance(destinations, dict):
        values = [
            a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(key, [])
        ]
    else:
        values = []
        for entry in destinations or []:
            if isinstance(entry, dict):
                values.extend(_recipients(entry.get("Destination") or {}))
            else:
                values.append(str(entry))
    return list(dict.fromkeys(address for _name, address in getaddresses(values) if address))


def _item(message_id: str, recipients: list[str], message: EmailMessage) -> dict[str, Any]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    headers: dict[str, str] = {}
    for name, value in message.items():
        headers.setdefault(name, str(value))
    return {
        "id": message_id,
        "from": str(message.get("From", "")),
        "to": recipients,
        "subject": str(message.get("Subject", "")),
        "date": str(message["Date"]) if message["Date"] else None,
        "text": text.get_content() if text is not None else None,
        "html": html.get_content() if html is not None else None,
        "headers": headers,
        "attachments": [
            {
                "filename": part.get_filename(),
                "contentType": part.get_content_type(),
                "size": len(part.get_payload(decode=True) or b""),
            }
            for part in message.iter_attachments()
        ],
    }


def _query(query_string: str) -> dict[str, str]:
    """The query's parameters (last value wins); "+" stays a plus, as in alice+packs@example.com."""
    pairs = (part.partition("=") for part in query_string.split("&") if part)
    return {unquote(name): unquote(value) for name, _, value in pairs}
