"""Writing an import's plan, and the import records.

A plan is written in transactions of at most 100 items, each session whole in one of them (the session
and its claims: its external id and its hashtag, each once per event). Every write is conditional on
what the plan read: a new session, its external id and its hashtag must not exist (so two imports at
once, or one that read the sessions index before it caught up, cannot duplicate a session), an
updated or removed session must still be at the version read. When a
transaction is refused (an organiser edited a session, or took a hashtag, meanwhile) or fails, the
transactions already written are undone, newest first, each conditional on nobody having changed
those sessions since, and the import fails with 409: the programme is as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pynamodb.exceptions import PutError, PynamoDBException, TransactWriteError

from backchannel.conference.items import ClaimItem, SessionItem, external_id_claim, session_item, session_tag
from backchannel.conference.model import Session
from backchannel.conference.schedule.items import ScheduleImportItem, import_item, import_key, to_import
from backchannel.conference.schedule.model import QUEUED, RUNNING, ScheduleImport
from backchannel.conference.schedule.plan import Plan
from backchannel.core.dynamo.conditions import Transaction, condition_failed, get_item, update_if
from backchannel.core.dynamo.table import bind
from backchannel.core.errors import Conflict
from backchannel.core.observability import logger

MAX_ITEMS = 100  # DynamoDB's limit of one transaction


@dataclass
class _Change:
    """One session's change: ``before`` (None: created) and ``after`` (None: removed)."""

    before: Session | None
    after: Session | None

    @property
    def size(self) -> int:
        """Items written: the session, and when it is created or removed its claims too (its external
        id, its hashtag)."""
        if self.before is not None and self.after is not None:
            return 1
        session = self.after or self.before
        return 2 + bool(session.hashtag)  # type: ignore[union-attr]

    def write(self, tx: Transaction) -> None:
        if self.before is None:  # create: the external id once per event, the hashtag once per event
            session = self.after
            tx.save(session_item(session), condition=SessionItem.pk.does_not_exist())
            tx.save(external_id_claim(session), condition=ClaimItem.pk.does_not_exist())
            if session.hashtag:
                tx.save(
                    session_tag(session.event_id, session.hashtag, session.id),
                    condition=ClaimItem.pk.does_not_exist(),
                )
        elif self.after is None:  # remove
            session = self.before
            tx.delete(session_item(session), condition=SessionItem.version == session.version)
            tx.delete(external_id_claim(session))
            if session.hashtag:
                tx.delete(session_tag(session.event_id, session.hashtag, session.id))
        else:  # update (an import never changes a hashtag or an external id)
            tx.save(session_item(self.after), condition=SessionItem.version == self.before.version)

    def undone(self) -> _Change:
        """The change back; a session put back moves to a newer version than the one undone."""
        if self.before is not None and self.after is not None:
            return _Change(self.after, dataclasses.replace(self.before, version=self.after.version + 1))
        return _Change(self.after, self.before)


def _batches(changes: list[_Change]) -> Iterator[list[_Change]]:
    batch: list[_Change] = []
    size = 0
    for change in changes:
        if batch and size + change.size > MAX_ITEMS:
            yield batch
            batch, size = [], 0
        batch.append(change)
        size += change.size
    if batch:
        yield batch


class DynamoScheduleRepo:
    def __init__(self) -> None:
        bind()

    def apply(self, plan: Plan, progress: Callable[[int], None] | None = None) -> None:
        """Write ``plan`` all or nothing (see the module's docstring); Conflict when refused.
        ``progress(n)`` is told after each transaction how many session changes are written; if it
        raises (the worker lost its claim), what was written is undone too."""
        changes = [
            *(_Change(None, s) for s in plan.create),
            *(_Change(before, after) for before, after in plan.update),
            *(_Change(s, None) for s in plan.remove),
        ]
        written: list[list[_Change]] = []
        for batch in _batches(changes):
            try:
                self._write(batch)
                written.append(batch)
                if progress is not None:
                    progress(sum(len(b) for b in written))
            except Exception as err:
                self._undo(written)
                if (
                    isinstance(err, TransactWriteError)
                    and err.cause_response_code == "TransactionCanceledException"
                ):
                    raise Conflict(
                        "sessions of the event changed while the schedule was imported: nothing was "
                        "imported; import again"
                    ) from None
                raise

    @staticmethod
    def _write(batch: list[_Change]) -> None:
        with Transaction() as tx:
            for change in batch:
                change.write(tx)

    def _undo(self, written: list[list[_Change]]) -> None:
        for batch in reversed(written):
            try:
                self._write([change.undone() for change in batch])
            except PynamoDBException:
                # someone changed these sessions after the import wrote them: theirs is newer
                logger.exception("could not undo a batch of a failed schedule import")

    def save_import(self, record: ScheduleImport) -> None:
        import_item(record).save()

    def get_import(self, import_id: str) -> ScheduleImport | None:
        item = get_item(ScheduleImportItem, *import_key(import_id), consistent_read=True)
        return to_import(item) if item else None

    # -- the worker's hold on an import (see model.py) -----------------------------------------

    def claim(self, import_id: str, claim: str, now: str, lease_until: str) -> ScheduleImport | None:
        """Take the import for a run: queued, or running under a lease that ran out (its worker
        died), and before its deadline. None when it may not be taken (finished, held, too late)."""
        item = ScheduleImportItem(*import_key(import_id))
        free = (ScheduleImportItem.status == QUEUED) | (
            (ScheduleImportItem.status == RUNNING) & (ScheduleImportItem.lease_until < now)
        )
        taken = update_if(
            item,
            [
                ScheduleImportItem.status.set(RUNNING),
                ScheduleImportItem.claim.set(claim),
                ScheduleImportItem.lease_until.set(lease_until),
                ScheduleImportItem.attempts.add(1),
                ScheduleImportItem.updated_at.set(now),
            ],
            ScheduleImportItem.pk.exists() & free & (ScheduleImportItem.deadline > now),
        )
        return to_import(item) if taken else None

    def report(self, record: ScheduleImport) -> bool:
        """Store a running import's stage and counts, and its lease, while it still holds its claim."""
        return update_if(
            ScheduleImportItem(*import_key(record.id)),
            [
                ScheduleImportItem.stage.set(record.stage),
                ScheduleImportItem.written.set(record.written),
                ScheduleImportItem.total.set(record.total),
                ScheduleImportItem.lease_until.set(record.lease_until),
                ScheduleImportItem.updated_at.set(record.updated_at),
            ],
            ScheduleImportItem.claim == record.claim,
        )

    def finish(self, record: ScheduleImport) -> bool:
        """Store a finished import, while its worker still holds its claim."""
        try:
            import_item(record).save(condition=ScheduleImportItem.claim == record.claim)
            return True
        except PutError as err:
            if condition_failed(err):
                return False
            raise

    def expire(self, record: ScheduleImport, now: str) -> bool:
        """Store ``record`` (failed, without a claim) if it is still unfinished and past its deadline:
        no worker can take it any more, and one still holding it cannot finish it."""
        try:
            import_item(record).save(
                condition=ScheduleImportItem.status.is_in(QUEUED, RUNNING)
                & (ScheduleImportItem.deadline < now)
            )
            return True
        except PutError as err:
            if condition_failed(err):
                return False
            raise
