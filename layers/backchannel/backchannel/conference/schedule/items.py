"""The item of a schedule import's record.

| item | pk | sk |
|---|---|---|
| schedule import | SCHEDULEIMPORT#<importId> | IMPORT |

Sessions are written as ``conference.items.SessionItem`` with their hashtag claims.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from backchannel.conference.schedule.model import ScheduleImport
from backchannel.core.dynamo.convert import to_item, to_model
from backchannel.core.dynamo.table import Item


class ProblemAttribute(MapAttribute):
    entry = UnicodeAttribute()
    field = UnicodeAttribute()
    message = UnicodeAttribute()


class ScheduleImportItem(Item, discriminator="ScheduleImport"):
    id = UnicodeAttribute()
    event_id = UnicodeAttribute(attr_name="eventId")
    format = UnicodeAttribute()
    url = UnicodeAttribute(null=True)
    dry_run = BooleanAttribute(attr_name="dryRun")
    remove_missing = BooleanAttribute(attr_name="removeMissing")
    requested_by = UnicodeAttribute(attr_name="requestedBy")
    created_at = UnicodeAttribute(attr_name="createdAt")
    status = UnicodeAttribute()
    created = NumberAttribute()
    updated = NumberAttribute()
    unchanged = NumberAttribute()
    removed = NumberAttribute()
    errors = ListAttribute(of=ProblemAttribute, default=list)
    updated_at = UnicodeAttribute(attr_name="updatedAt", null=True)
    stage = UnicodeAttribute(null=True)
    written = NumberAttribute(default=0)
    total = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    claim = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(attr_name="leaseUntil", null=True)
    deadline = UnicodeAttribute(null=True)


def import_key(import_id: str) -> tuple[str, str]:
    return f"SCHEDULEIMPORT#{import_id}", "IMPORT"


def import_item(record: ScheduleImport) -> ScheduleImportItem:
    pk, sk = import_key(record.id)
    return to_item(ScheduleImportItem, record, pk=pk, sk=sk)


def to_import(item: ScheduleImportItem) -> ScheduleImport:
    return to_model(ScheduleImport, item)
