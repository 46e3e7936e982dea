"""Erasure: ``DELETE /me`` records an erasure (the stream turns it into ``MemberErasureRequested``),
and the erasure worker runs it step by step (:data:`backchannel.erasure.model.STEPS`).

What goes, and what stays (the README's "Erasure" section says why):
- every item of the member's own (profile, handle, memberships, stars, posts, notes, questions and
  their votes, votes (the counts corrected), follows both ways (counts corrected), blocks both ways,
  channels, tokens, verification-mail counters keyed by them, inbox, digests, deliveries to them,
  personal packs with every S3 object version), their rate-limit counters and idempotency records,
  their live connections, and their user in the pool;
- items of others that name them (an event they created, a summary they published, a publication
  they made, a schedule import) stay, with the member's id replaced by an opaque one
  (:func:`opaque_id`), the same for every such item and never reversible;
- ``MemberErased`` goes out last, naming the events whose packs are rebuilt without them (and what
  was circulated of those packs retracted), never the member.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Protocol

from backchannel.core.errors import NotFound
from backchannel.core.ids import new_ulid
from backchannel.core.model import Caller, iso, utcnow
from backchannel.erasure.model import STEPS, Erasure


class ErasureRepo(Protocol):
    def put(self, erasure: Erasure) -> None: ...
    def get(self, erasure_id: str) -> Erasure | None: ...
    def save(self, erasure: Erasure) -> None: ...


class Sweeper(Protocol):
    def sweep(self, step: str, erasure: Erasure, cursor: str | None) -> tuple[int, set[str], str | None]:
        """One page of a step's sweep: (items erased, events touched, the next cursor or None)."""
        ...

    def delete_user(self, member_id: str) -> None: ...


def opaque_id(member_id: str) -> str:
    """What stays of an erased member where others' records named them: not their id, not reversible."""
    return "erased-" + hashlib.sha256(f"erased member {member_id}".encode()).hexdigest()[:16]


def request_erasure(repo: ErasureRepo, caller: Caller, *, now: dt.datetime | None = None) -> Erasure:
    erasure = Erasure(new_ulid(), caller.member_id, "erasing", requested_at=iso(now or utcnow()))
    repo.put(erasure)
    return erasure


def status(repo: ErasureRepo, erasure_id: str) -> Erasure:
    found = repo.get(erasure_id)
    if found is None:
        raise NotFound(f"erasure {erasure_id} not found")
    return found


def run(
    repo: ErasureRepo, sweeper: Sweeper, erasure_id: str, *, now: dt.datetime | None = None
) -> Erasure | None:
    """Run an erasure to its end from where it stopped, saving progress after every page, so a worker
    that dies is resumed by the queue's redelivery without redoing or missing anything. None: there
    is no such erasure (nothing to do)."""
    erasure = repo.get(erasure_id)
    while erasure is not None and erasure.status == "erasing" and erasure.member_id:
        if erasure.step in ("data", "idempotency", "connections"):
            erased, events, cursor = sweeper.sweep(erasure.step, erasure, erasure.cursor)
            erasure.erased += erased
            erasure.event_ids |= events
            erasure.cursor = cursor
            if cursor is None:
                erasure.step = STEPS[STEPS.index(erasure.step) + 1]
        elif erasure.step == "pool":
            sweeper.delete_user(erasure.member_id)
            erasure.step = "done"
        else:  # done: forget whom; the stream says MemberErased with the events only
            erasure.status, erasure.member_id, erasure.cursor = "erased", None, None
            erasure.finished_at = iso(now or utcnow())
        repo.save(erasure)
    return erasure
