"""An export: whose, how far its build is, and where its zip is. Pure."""

from __future__ import annotations

from dataclasses import dataclass

# A download link lives this long; ``expiresAt`` in ``GET /me/exports/{id}`` is that moment.
DOWNLOAD_URL_TTL_S = 3600
# A build that has not reported for this long is taken to have died (the worker's timeout is 900 s):
# the queue's next delivery takes it over.
STALE_BUILD_S = 960
# Builds one export may start (a worker that dies or times out counts one); then it ends ``failed``.
MAX_ATTEMPTS = 3


def export_prefix(export_id: str) -> str:
    """The folder of an export's files in the packs bucket (erasure deletes it with the member)."""
    return f"exports/{export_id}/"


def export_key(export_id: str) -> str:
    return f"{export_prefix(export_id)}backchannel-export.zip"


@dataclass
class Export:
    id: str
    member_id: str
    status: str  # "building" | "ready" | "failed"
    requested_at: str
    progress: int = 0  # per cent
    attempts: int = 0  # builds started
    claimed_at: str | None = None  # when the running build last reported
    bucket: str | None = None  # where the zip is, once ready
    key: str | None = None
    size: int | None = None
    finished_at: str | None = None
    error: str | None = None  # why it failed (never a member's data)

    def to_json(self, url: str | None = None, expires_at: str | None = None) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "progress": self.progress,
            "url": url,
            "expiresAt": expires_at,
            "size": self.size,
            "requestedAt": self.requested_at,
            "finishedAt": self.finished_at,
            "error": self.error,
        }
