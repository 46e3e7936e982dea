"""An erasure: its opaque id, where the worker is, and what it has done. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

# The worker's steps, in order. Each is idempotent and checkpointed: a worker that dies half-way
# resumes at the step (and the page of a sweep) it had reached, and nothing is left behind.
STEPS = ("data", "idempotency", "connections", "pool", "done")


@dataclass
class Erasure:
    id: str
    member_id: str | None  # None once done: the record keeps no trace of whom it erased
    status: str  # "erasing" | "erased"
    step: str = STEPS[0]
    cursor: str | None = None  # where the current sweep stopped (JSON of its last key)
    erased: int = 0  # items removed or made anonymous so far
    event_ids: set[str] = field(default_factory=set)  # whose packs are rebuilt without them
    requested_at: str = ""
    finished_at: str | None = None

    @property
    def progress(self) -> int:
        """Per cent of the steps done."""
        return 100 if self.status == "erased" else STEPS.index(self.step) * 100 // len(STEPS)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "progress": self.progress,
            "erased": self.erased,
            "requestedAt": self.requested_at,
            "finishedAt": self.finished_at,
        }
