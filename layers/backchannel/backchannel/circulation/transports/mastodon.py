"""Posting to and deleting from a member's Mastodon account, through :mod:`.outbound` (so the instance
URL passes the same forgery guard as a webhook).

Three endpoints: ``GET /api/v1/accounts/verify_credentials`` (the token is checked when the channel
is created), ``POST /api/v1/statuses`` (with an ``Idempotency-Key``, so a retried delivery
never posts twice: Mastodon answers a repeat with the first status) and ``DELETE
/api/v1/statuses/{id}`` (a retraction; 404 means already gone). The token needs the
``write:statuses`` scope. Of a response we read only the status ``id``; bodies are neither kept nor
logged. Every failure is a :class:`MastodonError` that says whether trying again later may help.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from backchannel.circulation.transports import outbound

VISIBILITIES = frozenset({"public", "unlisted", "private", "direct"})
_STATUS_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_HOST = re.compile(r"^[a-z0-9.-]+$|^[0-9a-f:.]*:[0-9a-f:.]*$")  # a (punycode) name or an IPv6 literal
_MAX_RESPONSE = 256 * 1024  # a status with its card and mentions; the id is all we read


class MastodonError(Exception):
    """A refused or failed call. ``status`` is the HTTP status (None when there was no answer)."""

    def __init__(self, status: int | None, retryable: bool, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


def normalise_instance(url: str, *, allow: tuple[str, ...] = ()) -> str:
    """``https://host[:port]`` of an instance URL (a bare host name is taken as https); ValueError for
    a path, query, credentials or another scheme (``http`` only for an ``http://host:port`` in ``allow``)."""
    url = url.strip()
    parts = urlsplit(url if "://" in url else f"https://{url}")
    scheme = parts.scheme.lower()
    try:
        host, port = (parts.hostname or "").encode("idna").decode("ascii"), parts.port
    except ValueError:  # UnicodeError included
        raise ValueError("the instance URL has an invalid host or port") from None
    extra = parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc
    if extra or not _HOST.match(host):
        raise ValueError("an instance URL is https://host with no path")
    netloc = f"[{host}]" if ":" in host else host
    if scheme == "http" and ("http", host, port or 80) in outbound.allowed_origins(allow):
        return f"http://{netloc}" + (f":{port}" if port and port != 80 else "")
    if scheme != "https":
        raise ValueError("an instance URL must use https")
    return f"https://{netloc}" + (f":{port}" if port and port != 443 else "")


def _call(
    send: outbound.Sender,
    method: str,
    url: str,
    headers: dict[str, str],
    *,
    allow: tuple[str, ...],
    timeout_s: float,
    body: bytes | None = None,
) -> outbound.Response:
    try:
        return send(
            method, url, headers=headers, body=body, allow=allow, timeout_s=timeout_s, max_body=_MAX_RESPONSE
        )
    except outbound.UnsafeUrl as err:
        raise MastodonError(None, False, f"the instance URL {err}") from None
    except outbound.TransportError as err:
        raise MastodonError(None, True, str(err)) from None


def _refusal(status: int) -> MastodonError:
    if status in (401, 403):
        return MastodonError(
            status, False, "the instance refused the token (revoked, or lacks write:statuses)"
        )
    if status == 429:
        return MastodonError(status, True, "the instance is rate limiting us")
    if status >= 500:
        return MastodonError(status, True, f"the instance failed (HTTP {status})")
    return MastodonError(status, False, f"the instance refused the request (HTTP {status})")


def verify_credentials(
    instance_url: str,
    token: str,
    *,
    send: outbound.Sender = outbound.send,
    allow: tuple[str, ...] = (),
    timeout_s: float = 5.0,
) -> str:
    """The ``acct`` of the account ``token`` belongs to; :class:`MastodonError` if the instance refuses
    the token (401/403: not retryable), fails or cannot be reached."""
    url = normalise_instance(instance_url, allow=allow) + "/api/v1/accounts/verify_credentials"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    answer = _call(send, "GET", url, headers, allow=allow, timeout_s=timeout_s)
    if answer.status in (401, 403):
        raise MastodonError(answer.status, False, "the instance refused this token (revoked or mistyped)")
    if not 200 <= answer.status < 300:
        raise _refusal(answer.status)
    try:
        acct = json.loads(answer.body)["acct"]
    except (ValueError, TypeError, KeyError):
        acct = None
    if not isinstance(acct, str) or not acct:
        raise MastodonError(answer.status, False, "the instance did not answer as Mastodon does")
    return acct


def post_status(
    instance_url: str,
    token: str,
    text: str,
    *,
    idempotency_key: str,
    visibility: str = "public",
    send: outbound.Sender = outbound.send,
    allow: tuple[str, ...] = (),
    timeout_s: float = 5.0,
) -> str:
    """Post ``text``; the new status's id."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {sorted(VISIBILITIES)}")
    url = normalise_instance(instance_url, allow=allow) + "/api/v1/statuses"
    headers = {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": idempotency_key,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    body = json.dumps({"status": text, "visibility": visibility}).encode()
    answer = _call(send, "POST", url, headers, allow=allow, timeout_s=timeout_s, body=body)
    if not 200 <= answer.status < 300:
        raise _refusal(answer.status)
    try:
        status_id = json.loads(answer.body)["id"]
    except (ValueError, TypeError, KeyError):
        status_id = None
    if not isinstance(status_id, str) or not _STATUS_ID.match(status_id):
        # posted, maybe: a retry with the same idempotency key gets the same status back
        raise MastodonError(answer.status, True, "the instance answered without a status id")
    return status_id


def delete_status(
    instance_url: str,
    token: str,
    status_id: str,
    *,
    send: outbound.Sender = outbound.send,
    allow: tuple[str, ...] = (),
    timeout_s: float = 5.0,
) -> None:
    """Delete a status; one that is already gone (404) counts as deleted."""
    if not _STATUS_ID.match(status_id):
        raise ValueError("not a Mastodon status id")
    url = f"{normalise_instance(instance_url, allow=allow)}/api/v1/statuses/{status_id}"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    answer = _call(send, "DELETE", url, headers, allow=allow, timeout_s=timeout_s)
    if answer.status != 404 and not 200 <= answer.status < 300:
        raise _refusal(answer.status)
