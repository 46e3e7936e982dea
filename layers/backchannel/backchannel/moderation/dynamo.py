"""DynamoDB access for reports, the moderation queue and the audit log (keys in ``moderation/items.py``).

An organiser's action is one transaction: the item's change (written by its own feature's helper:
``capture.dynamo.moderate_post_in``, ``conference.dynamo.mute_in``, …), the audit entry, and the
closing of the item's open reports, so no action goes unlogged and no log entry names an action that
did not happen."""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import TransactWriteError

from backchannel.capture.dynamo import moderate_note_in, moderate_post_in
from backchannel.capture.model import Note, Post
from backchannel.conference.dynamo import mute_in, unmute_in
from backchannel.conference.model import Mute
from backchannel.core.dynamo import cursor as cursors
from backchannel.core.dynamo.conditions import Transaction, get_item
from backchannel.core.dynamo.convert import to_item, to_model
from backchannel.core.dynamo.paging import GSI_KEYS, page
from backchannel.core.dynamo.table import Item, bind
from backchannel.core.errors import Conflict
from backchannel.core.model import Page
from backchannel.moderation.items import AuditItem, ReportedItemItem, ReportItem
from backchannel.moderation.model import AuditEntry, Report, ReportedItem
from backchannel.questions.dynamo import moderate_question_in
from backchannel.questions.model import Question

TABLE_KEYS = ("pk", "sk")


def reported_pk(event_id: str, item_id: str) -> str:
    return f"REPORTED#{event_id}#{item_id}"


def open_queue_pk(event_id: str) -> str:
    return f"EVENT#{event_id}#REPORTS#open"


def notices_pk(member_id: str) -> str:
    return f"MEMBER#{member_id}#MODERATION"


def _reported(item: ReportedItemItem) -> ReportedItem:
    return to_model(ReportedItem, item)


def _audit_item(entry: AuditEntry) -> AuditItem:
    about = entry.member_id is not None
    return to_item(
        AuditItem,
        entry,
        pk=f"AUDIT#{entry.event_id}",
        sk=entry.id,
        gsi1pk=notices_pk(entry.member_id) if about else None,
        gsi1sk=entry.id if about else None,
    )


Writes = Callable[[Transaction], Item | None]  # adds an item's change to the transaction


class DynamoModerationRepo:
    """The production :class:`backchannel.moderation.store.ModerationRepo`."""

    def __init__(self) -> None:
        bind()

    # -- reports -----------------------------------------------------------------------------------

    def file_report(self, report: Report, author_id: str) -> None:
        """Store the report (replacing the reporter's earlier one of this item) and open the item's
        entry in the queue, or add the reporter to it."""
        pk = reported_pk(report.event_id, report.item_id)
        entry = ReportedItemItem(pk=pk, sk="QUEUE")
        now = report.reported_at
        with Transaction() as tx:
            tx.save(to_item(ReportItem, report, pk=pk, sk=f"REPORT#{report.reporter_id}"))
            tx.update(
                entry,
                actions=[
                    ReportedItemItem.type.set(ReportedItemItem),
                    ReportedItemItem.event_id.set(report.event_id),
                    ReportedItemItem.item_type.set(report.item_type),
                    ReportedItemItem.item_id.set(report.item_id),
                    ReportedItemItem.author_id.set(author_id),
                    ReportedItemItem.status.set("open"),
                    ReportedItemItem.opened_at.set(ReportedItemItem.opened_at | now),
                    ReportedItemItem.last_reported_at.set(now),
                    ReportedItemItem.reporters.add({report.reporter_id}),
                    ReportedItemItem.gsi1pk.set(open_queue_pk(report.event_id)),
                    ReportedItemItem.gsi1sk.set(f"{now}#{report.item_id}"),
                ],
            )

    def get_reported(self, event_id: str, item_id: str) -> ReportedItem | None:
        item = get_item(ReportedItemItem, reported_pk(event_id, item_id), "QUEUE", consistent_read=True)
        return _reported(item) if item else None

    def open_reports(self, event_id: str, limit: int, cursor: str | None) -> Page[ReportedItem]:
        """The queue: items with open reports, the most recently reported first."""
        pk = open_queue_pk(event_id)
        start = cursors.decode_key(cursor, names=GSI_KEYS, partition=("gsi1pk", pk))
        result = ReportedItemItem.gsi1.query(
            pk, scan_index_forward=False, limit=limit + 1, page_size=limit + 1, last_evaluated_key=start
        )
        items, following = page([i for i in result if isinstance(i, ReportedItemItem)], limit, GSI_KEYS)
        return Page([_reported(i) for i in items], following)

    def reports_of(self, entry: ReportedItem, limit: int) -> list[Report]:
        """The newest ``limit`` reports of an item since its entry was (re)opened."""
        result = ReportItem.query(
            reported_pk(entry.event_id, entry.item_id),
            ReportItem.sk.startswith("REPORT#"),
            filter_condition=ReportItem.reported_at >= entry.opened_at,
        )
        found = sorted(
            (to_model(Report, i) for i in result if isinstance(i, ReportItem)),
            key=lambda r: r.reported_at,
            reverse=True,
        )
        return found[:limit]

    # -- actions -----------------------------------------------------------------------------------

    def act(self, entry: AuditEntry, writes: Writes | None = None, *, close: str | None = None) -> None:
        """The action's ``writes`` and its audit ``entry`` in one transaction; ``close``: the status
        (``dismissed``, ``actioned``) the item's open reports get, if it has any. A Conflict if the item
        changed meanwhile (its writes' condition refused)."""
        open_entry = None
        if close is not None and entry.item_id is not None:
            found = self.get_reported(entry.event_id, entry.item_id)
            if found is not None and found.status == "open":
                open_entry = ReportedItemItem(pk=reported_pk(entry.event_id, entry.item_id), sk="QUEUE")
        try:
            with Transaction() as tx:
                tx.save(_audit_item(entry), condition=AuditItem.pk.does_not_exist())
                if writes is not None:
                    writes(tx)
                if open_entry is not None:
                    tx.update(
                        open_entry,
                        actions=[
                            ReportedItemItem.status.set(close),
                            ReportedItemItem.opened_at.remove(),
                            ReportedItemItem.reporters.remove(),
                            ReportedItemItem.gsi1pk.remove(),
                            ReportedItemItem.gsi1sk.remove(),
                        ],
                        condition=ReportedItemItem.status == "open",
                    )
        except TransactWriteError as err:
            if tx.refused(err):
                what = f"{entry.item_type} {entry.item_id}" if entry.item_id else f"member {entry.member_id}"
                raise Conflict(f"{what} changed meanwhile: read it again and retry") from None
            raise

    def moderate_post(self, entry: AuditEntry, before: Post, after: Post, *, close: str | None) -> None:
        self.act(entry, lambda tx: moderate_post_in(tx, before, after), close=close)

    def moderate_note(self, entry: AuditEntry, before: Note, after: Note, *, close: str | None) -> None:
        self.act(entry, lambda tx: moderate_note_in(tx, before, after), close=close)

    def moderate_question(
        self, entry: AuditEntry, before: Question, after: Question, *, close: str | None
    ) -> None:
        self.act(entry, lambda tx: moderate_question_in(tx, before, after), close=close)

    def mute(self, entry: AuditEntry, mute: Mute) -> None:
        self.act(entry, lambda tx: mute_in(tx, mute))

    def unmute(self, entry: AuditEntry) -> None:
        self.act(entry, lambda tx: unmute_in(tx, entry.event_id, str(entry.member_id)))

    # -- the audit log -----------------------------------------------------------------------------

    def audit_log(self, event_id: str, limit: int, cursor: str | None) -> Page[AuditEntry]:
        """An event's moderation actions, newest first."""
        pk = f"AUDIT#{event_id}"
        start = cursors.decode_key(cursor, names=TABLE_KEYS, partition=("pk", pk))
        result = AuditItem.query(
            pk, scan_index_forward=False, limit=limit + 1, page_size=limit + 1, last_evaluated_key=start
        )
        items, following = page([i for i in result if isinstance(i, AuditItem)], limit, TABLE_KEYS)
        return Page([to_model(AuditEntry, i) for i in items], following)

    def notices(self, member_id: str, limit: int, cursor: str | None) -> Page[AuditEntry]:
        """The moderation actions about a member (their items, their mutes), newest first."""
        pk = notices_pk(member_id)
        start = cursors.decode_key(cursor, names=GSI_KEYS, partition=("gsi1pk", pk))
        result = AuditItem.gsi1.query(
            pk, scan_index_forward=False, limit=limit + 1, page_size=limit + 1, last_evaluated_key=start
        )
        items, following = page([i for i in result if isinstance(i, AuditItem)], limit, GSI_KEYS)
        return Page([to_model(AuditEntry, i) for i in items], following)
