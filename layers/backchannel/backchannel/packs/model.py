"""Packs: what they are of (a ``Target``), their builds (``Pack``, one version each) and files
(``Artifact``). Pure: no boto3, no event shapes.

A pack is of a *target*: a session, an event, or one member's personal view of an event. There is one
pack per target; each build of it is a new *version*, and only the newest ready version is served.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

KINDS = ("session", "event", "personal")


STATUSES = ("queued", "building", "ready", "failed")


ACTIVE = ("queued", "building")


# The groups of a pack's content, in the order they come within a section (``packs.content``). Here,
# not there: the packs API's schemas name them, and its cold start need not load the content builder.
GROUPS = ("summary", "notes", "posts", "questions", "resources", "readingList")


@dataclass(frozen=True)
class Target:
    """What a pack is of: ``kind`` and ``target_id`` (session, event), plus the member of a personal
    pack (whose ``target_id`` is the event's id)."""

    kind: str
    target_id: str
    event_id: str
    member_id: str | None = None

    @property
    def key(self) -> str:
        base = f"{self.kind}#{self.target_id}"
        return f"{base}#{self.member_id}" if self.member_id else base


@dataclass(frozen=True)
class Artifact:
    """One compiled file of one version: where it is and what it is."""

    format: str
    content_type: str
    key: str
    size: int
    sha256: str

    def to_json(self) -> dict:
        return {"format": self.format, "contentType": self.content_type, "size": self.size}

    def to_record(self) -> dict:
        """As it is kept in an item's map (the pack's files, a publication's edition)."""
        return {"contentType": self.content_type, "key": self.key, "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_record(cls, fmt: str, record: dict) -> Artifact:
        return cls(fmt, record["contentType"], record["key"], int(record["size"]), record["sha256"])


@dataclass
class Pack:
    id: str
    target: Target
    status: str
    version: int
    created_at: str
    updated_at: str
    requested_by: str | None = None
    dirty: bool = False
    ready_version: int | None = None
    bucket: str | None = None
    artifacts: dict[str, Artifact] = field(default_factory=dict)
    progress: dict[str, Any] | None = None
    reason: str | None = None
    heartbeat_at: str | None = None

    @property
    def served(self) -> bool:
        return self.ready_version is not None and bool(self.artifacts)

    def as_published(self, version: int | None, edition: dict[str, Artifact]) -> Pack:
        """The pack as those who may not read its builds see it: the version published and the files
        of its circulated edition (none until one is published), no build progress."""
        return replace(self, ready_version=version, artifacts=dict(edition), progress=None, reason=None)

    def to_json(self, *, public_event: bool = False) -> dict:
        body: dict[str, Any] = {
            "id": self.id,
            "kind": self.target.kind,
            "targetId": self.target.target_id,
            "eventId": self.target.event_id,
            "memberId": self.target.member_id,
            "status": self.status,
            "version": self.version,
            "readyVersion": self.ready_version if self.served else None,
            "formats": sorted(self.artifacts) if self.served else [],
            "artifacts": [a.to_json() for _, a in sorted(self.artifacts.items())] if self.served else [],
            "progress": self.progress if self.status == "building" else None,
            "reason": self.reason if self.status == "failed" else None,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "downloadUrl": f"/packs/{self.id}/download" if self.served else None,
        }
        # A public event's packs have a stable address anyone may share.
        body["publicUrl"] = (
            f"/packs/{self.id}/download?format=html"
            if public_event and self.target.kind != "personal" and self.served
            else None
        )
        return body
