"""Fetching a schedule from its URL through the outbound guard (``circulation.transports.outbound``):
HTTPS only, no private, loopback or link-local address (checked at connect time too), a time limit
on the connection and each read, at most :data:`MAX_DOCUMENT_BYTES` read. Redirects are followed up to
three times, each new URL through the same guard."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urljoin

from backchannel.circulation.transports import outbound
from backchannel.conference.schedule.entries import document_problem
from backchannel.core.config import get_config

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
TIMEOUT_S = 10.0
_REDIRECTS = (301, 302, 303, 307, 308)
_ACCEPT = "application/json, application/xml, text/xml, text/calendar;q=0.9, */*;q=0.5"


def fetch_document(url: str, *, send: Callable[..., outbound.Response] = outbound.send) -> str:
    """The text at ``url``; :class:`ScheduleInvalid` naming ``url`` when it may not or cannot be
    fetched, 413 when it is larger than :data:`MAX_DOCUMENT_BYTES`."""
    allow = get_config().outbound_allow_list
    headers = {"Accept": _ACCEPT, "User-Agent": "Backchannel schedule import"}
    for _ in range(4):
        try:
            answer = send(
                "GET", url, headers=headers, timeout_s=TIMEOUT_S, allow=allow, max_body=MAX_DOCUMENT_BYTES + 1
            )
        except outbound.UnsafeUrl as err:
            raise document_problem("url", f"may not be fetched: it {err}") from None
        except outbound.TransportError as err:
            raise document_problem("url", f"could not be fetched: {err}") from None
        if answer.status in _REDIRECTS and answer.headers.get("location"):
            url = urljoin(url, answer.headers["location"])
            continue
        if answer.status != 200:
            raise document_problem("url", f"answered HTTP {answer.status}, not 200")
        if len(answer.body) > MAX_DOCUMENT_BYTES:
            raise document_problem("url", f"is larger than {MAX_DOCUMENT_BYTES} bytes", status=413)
        try:
            return answer.body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise document_problem("url", "is not UTF-8 text") from None
    raise document_problem("url", "redirects more than three times")
