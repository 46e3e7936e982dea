"""Items of reports, the moderation queue and the audit log (mutes are ``conference`` items).

| item | pk | sk | gsi1pk, gsi1sk |
|---|---|---|---|
| report | REPORTED#<eventId>#<itemId> | REPORT#<reporterId> | |
| reported item (open) | REPORTED#<eventId>#<itemId> | QUEUE | EVENT#<eventId>#REPORTS#open, <lastReportedAt>#<itemId> |
| reported item (closed) | REPORTED#<eventId>#<itemId> | QUEUE | |
| audit entry | AUDIT#<eventId> | <entryId> | MEMBER#<memberId>#MODERATION, <entryId> (when about a member) |

The queue reads only the open partition: a dismissed or actioned item leaves it by losing its index
keys, and comes back with its next report. Item ids are ULIDs, unique across posts, notes and
questions, so a reported item is named by its id within its event.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute

from backchannel.core.dynamo.table import Item


class ReportItem(Item, discriminator="Report"):
    event_id = UnicodeAttribute(attr_name="eventId")
    item_type = UnicodeAttribute(attr_name="itemType")
    item_id = UnicodeAttribute(attr_name="itemId")
    reporter_id = UnicodeAttribute(attr_name="reporterId")
    reason = UnicodeAttribute()
    comment = UnicodeAttribute(null=True)
    reported_at = UnicodeAttribute(attr_name="reportedAt")


class ReportedItemItem(Item, discriminator="ReportedItem"):
    event_id = UnicodeAttribute(attr_name="eventId")
    item_type = UnicodeAttribute(attr_name="itemType")
    item_id = UnicodeAttribute(attr_name="itemId")
    author_id = UnicodeAttribute(attr_name="authorId")
    opened_at = UnicodeAttribute(null=True, attr_name="openedAt")
    last_reported_at = UnicodeAttribute(attr_name="lastReportedAt")
    reporters = UnicodeSetAttribute(null=True)
    status = UnicodeAttribute()


class AuditItem(Item, discriminator="AuditEntry"):
    id = UnicodeAttribute()
    event_id = UnicodeAttribute(attr_name="eventId")
    actor_id = UnicodeAttribute(attr_name="actorId")
    action = UnicodeAttribute()
    at = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    item_type = UnicodeAttribute(null=True, attr_name="itemType")
    item_id = UnicodeAttribute(null=True, attr_name="itemId")
    member_id = UnicodeAttribute(null=True, attr_name="memberId")
    until = UnicodeAttribute(null=True)
