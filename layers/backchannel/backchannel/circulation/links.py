"""Capability links sent by mail, webhook and Mastodon: one per delivery, expiring; they are served
by ``circulation.inbox.link_download``. A delivery's token is derived from its id with the
circulation HMAC key (``Outbound.mac``), so every attempt of a retried delivery sends the same link
and leaves one token, not one per attempt."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backchannel.circulation.delivery import Outbound
import base64
import datetime as dt
import secrets
from typing import Any

from backchannel.circulation import channels
from backchannel.circulation.model import Job
from backchannel.core.model import iso, utcnow


def pack_link(repo: Any, out: Outbound, job: Job, version: int) -> str:
    """A capability link for one delivery: it serves the edition published to this recipient (checked
    again at each fetch), without signing in, for ``out.link_days`` days."""
    if out.mac is not None:
        digest = bytes.fromhex(out.mac(f"link:{job.id}:{version}"))[:24]
        token = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    else:  # no key configured (a unit harness): a random token per attempt
        token = secrets.token_urlsafe(24)
    expires = utcnow() + dt.timedelta(days=out.link_days)
    repo.put_pack_token(
        channels.token_hash(token), job.recipient_id, job, version=version, expires_at=iso(expires)
    )
    return f"{out.public_url}/circulated/{token}"
