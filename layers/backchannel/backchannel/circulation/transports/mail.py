"""Email deliveries: a MIME message built with the standard library, sent raw through SES (v2 API).

:func:`build_message` makes a ``multipart/alternative`` message (plain text, then HTML, UTF-8) with a
``Message-ID`` derived from a key (the delivery's), so a retried delivery carries the same id and
mail clients can fold duplicates. With an unsubscribe URL it adds ``List-Unsubscribe`` and
``List-Unsubscribe-Post`` (RFC 8058 one-click: the mailbox provider POSTs to the URL). A header value
with a line break is refused (header injection).

:class:`SesMailer` sends the raw bytes and translates SES errors into :class:`MailError`, retryable or
not.

Testing note (moto 5): the SES v2 ``send_email`` mock hands raw messages to the SES v1 backend, which
accepts them only from a verified sender (``boto3.client("ses").verify_email_identity(...)``, or
``sesv2.create_email_identity`` of the address or its domain) and keeps them in memory::

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages  # RawMessage objects
    sent[-1].id, sent[-1].source, sent[-1].destinations  # the MessageId returned, sender, recipients
    email.message_from_string(sent[-1].raw_data, policy=email.policy.default)  # raw_data is str

``raw_data`` is the message decoded as UTF-8 (moto fails on other bytes); ``destinations`` holds the
``ToAddresses`` plus the addresses of the message's To/Cc/Bcc headers, so a recipient appears twice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import Any

from backchannel.core import aws_clients

_LINE_BREAK = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
# sending rate or daily quota exceeded: later is fine
_THROTTLED = {"TooManyRequestsException", "ThrottlingException", "Throttling", "LimitExceededException"}


class MailError(Exception):
    """SES did not take the message; ``retryable`` says whether trying again later may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    unsubscribe_url: str | None,
    message_id_key: str,
) -> bytes:
    """The raw bytes (CRLF line ends) of one message; ValueError for a header value with a line break."""
    fields = {"From": sender, "To": to, "Subject": subject}
    if unsubscribe_url:
        fields["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        fields["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in fields.items():
        if _LINE_BREAK.search(value):
            raise ValueError(f"the {name} header must not contain a line break")
    message = EmailMessage(policy=SMTP)
    for name, value in fields.items():
        message[name] = value
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{hashlib.sha256(message_id_key.encode()).hexdigest()[:32]}@backchannel>"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def ses_client() -> Any:
    """The SES v2 client of this function's region; SDK retries are few, the delivery queue retries."""
    return aws_clients.client("sesv2", retries=2)


class SesMailer:
    """Sends raw messages with SES; the client is made on first use (``client_factory`` for tests)."""

    def __init__(self, client_factory: Callable[[], Any] | None = None) -> None:
        self._client_factory = client_factory or ses_client
        self._client: Any = None

    def send(self, *, sender: str, to: str, raw: bytes) -> str:
        """Send ``raw`` from ``sender`` to ``to``; SES's MessageId. Raises :class:`MailError`."""
        from botocore.exceptions import BotoCoreError, ClientError

        if self._client is None:
            self._client = self._client_factory()
        try:
            answer = self._client.send_email(
                FromEmailAddress=sender, Destination={"ToAddresses": [to]}, Content={"Raw": {"Data": raw}}
            )
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code", ""))
            status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            retryable = code in _THROTTLED or status == 429 or status >= 500
            raise MailError(f"SES refused the message: {code or status}", retryable=retryable) from err
        except BotoCoreError as err:  # no answer: connection or timeout
            raise MailError(f"SES could not be reached: {type(err).__name__}", retryable=True) from err
        return answer["MessageId"]
