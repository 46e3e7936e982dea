"""A schedule import and what it came to: the record kept of every import, which
``GET /events/{eventId}/schedule-imports/{importId}`` answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from backchannel.conference.schedule.entries import Problem
from backchannel.core.model import camel_json

DONE, FAILED = "done", "failed"


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

    def to_json(self) -> dict:
        return {
            **camel_json(self, "id", "event_id", "format", "url", "dry_run", "remove_missing", "status"),
            **camel_json(self, "created", "updated", "unchanged", "removed"),
            "errors": [p.to_json() for p in self.errors],
            **camel_json(self, "requested_by", "created_at"),
        }
