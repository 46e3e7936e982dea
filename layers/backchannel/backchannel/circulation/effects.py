"""What one delivery attempt did: its final status and what is written with it."""

from __future__ import annotations

from dataclasses import dataclass

from backchannel.circulation.model import InboxEntry


@dataclass
class Effect:
    """What one attempt did: its final status and what is written with it."""

    status: str
    note: str | None = None
    remote_id: str | None = None
    inbox: InboxEntry | None = None
    digest: dict | None = None
    cleared: list | None = None  # the digest entries a digest delivery carried (or dropped)
    cleared_as: str = "sent"
