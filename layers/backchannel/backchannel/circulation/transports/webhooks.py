"""Signing webhook deliveries the Standard Webhooks way (https://www.standardwebhooks.com/).

Every delivery carries ``webhook-id`` (the message id, the same on every retry so receivers can
deduplicate), ``webhook-timestamp`` (integer Unix seconds) and ``webhook-signature``: ``v1,`` and the
base64 HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` keyed with the secret's bytes (the base64 after the
``whsec_`` prefix). A receiver accepts any one of several space-separated signatures, which lets a
secret be rotated. Receivers in any language can verify with the Standard Webhooks libraries;
:func:`verify` is ours, for the local receiver and the tests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

PREFIX = "whsec_"
USER_AGENT = "Backchannel-Webhooks/1"


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 24 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is whsec_ and base64") from None


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one delivery."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), content, hashlib.sha256).digest()).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one delivery of a JSON ``body``."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: int | None = None, tolerance_s: int = 300
) -> bool:
    """Whether a delivery is signed with ``secret`` and its timestamp is within ``tolerance_s`` of now
    (either side). Header names are matched case-insensitively; signatures compared in constant time."""
    found = {name.lower(): value for name, value in headers.items()}
    msg_id = found.get("webhook-id", "")
    stamp = found.get("webhook-timestamp", "")
    signatures = found.get("webhook-signature", "").split()
    if not (msg_id and stamp.isascii() and stamp.isdigit() and signatures):
        return False
    timestamp = int(stamp)
    if abs((int(time.time()) if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = sign(secret, msg_id, timestamp, body).encode()
    return any(hmac.compare_digest(expected, candidate.encode()) for candidate in signatures)
