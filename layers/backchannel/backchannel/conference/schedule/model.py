"""A schedule import and what it came to: the record kept of every import, which
``GET /events/{eventId}/schedule-imports/{importId}`` answers.

An import answered at once (201) is ``done`` or ``failed`` from the start. One run by the worker
(202) is ``queued``, then ``running`` (with ``progress``), then ``done`` or ``failed``. The worker
holds it under a ``claim`` until ``lease_until``; no worker takes it after its ``deadline``, and a
record still unfinished then reads as ``failed`` (see ``rules.expired``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from backchannel.conference.schedule.entries import Problem
from backchannel.core.model import camel_json

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)
# what a running import is doing: fetching its URL, reading and checking the document, writing the plan
FETCHING, READING, WRITING = "fetching", "reading", "writing"
STAGES = (FETCHING, READING, WRITING)


@dataclass
class ScheduleImport:
    id: str
    event_id: str
    format: str  # the format asked for, or the one detected when "auto"
    url: str | None  # None: the document came in the request
    dry_run: bool
    remove_missing: bool
    requested_by: str
    created_at: str
    status: str = DONE
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    errors: list[Problem] = field(default_factory=list)
    updated_at: str | None = None
    # while running: the stage, and how many of the plan's session changes are written of how many
    stage: str | None = None
    written: int = 0
    total: int = 0
    # the worker's hold on it (never shown)
    attempts: int = 0
    claim: str | None = None
    lease_until: str | None = None
    deadline: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    def to_json(self) -> dict:
        return {
            **camel_json(self, "id", "event_id", "format", "url", "dry_run", "remove_missing", "status"),
            "progress": (
                {"stage": self.stage, "written": self.written, "total": self.total}
                if self.status == RUNNING and self.stage
                else None
            ),
            **camel_json(self, "created", "updated", "unchanged", "removed"),
            "errors": [p.to_json() for p in self.errors],
            **camel_json(self, "requested_by", "created_at"),
            "updatedAt": self.updated_at or self.created_at,
        }
