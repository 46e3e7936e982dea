"""Request and response schemas of the moderation API (validation and the OpenAPI document)."""

from __future__ import annotations

from backchannel.core.validation import Arr, Bool, DateTime, Enum, F, Int, Obj, Str, Text, returned
from backchannel.moderation.model import ACTIONS, ITEM_TYPES, REASONS

_item_id = Str(min_len=1, max_len=40)


REPORT_CREATE = Obj(
    "ReportCreate",
    {
        "type": F(Enum(ITEM_TYPES), required=True),
        "id": F(_item_id, required=True, description="the post's, note's or question's id"),
        "reason": F(Enum(REASONS), required=True),
        "comment": F(Text(max_len=1000, description="what the organisers should know"), nullable=True),
    },
)


REPORT = Obj(
    "Report",
    {
        **returned(Str(), "eventId", "itemId", "reporterId"),
        "itemType": F(Enum(ITEM_TYPES), required=True),
        "reason": F(Enum(REASONS), required=True),
        **returned(Str(), "comment", nullable=True),
        **returned(DateTime(), "reportedAt"),
    },
)


REPORTED_ITEM = Obj(
    "ReportedItem",
    {
        "itemType": F(Enum(ITEM_TYPES), required=True),
        **returned(Str(), "itemId"),
        "reportCount": F(Int(), required=True, description="members who reported it since it was (re)opened"),
        "reasons": F(Obj("ReportReasons", returned(Int(), *REASONS)), required=True),
        **returned(DateTime(), "lastReportedAt"),
        "reports": F(Arr(REPORT, max_items=10), required=True, description="the newest reports"),
        "item": F(
            Obj(
                "ReportedItemPreview",
                {
                    **returned(Str(), "text"),
                    "author": F(Obj("ReportedAuthor", returned(Str(), "id", "displayName")), required=True),
                    "hidden": F(Bool(), required=True),
                },
            ),
            required=True,
            nullable=True,
            description="what it says (null: deleted since)",
        ),
    },
)


MODERATION_PUT = Obj(
    "ModerationPut",
    {
        "hidden": F(
            Bool(description="true: hide it; false: unhide it (or approve a held post)"), required=True
        ),
        "reason": F(Text(max_len=500, description="required to hide: its author is shown it"), nullable=True),
    },
)


MUTE_PUT = Obj(
    "MutePut",
    {
        "reason": F(Text(max_len=500), required=True),
        "until": F(DateTime(description="when the mute ends (absent: until it is lifted)"), nullable=True),
    },
)


MUTE = Obj(
    "Mute",
    {
        **returned(Str(), "eventId", "memberId", "reason"),
        **returned(DateTime(), "at"),
        **returned(DateTime(), "until", nullable=True),
    },
)


AUDIT_ENTRY = Obj(
    "AuditEntry",
    {
        **returned(Str(), "id", "eventId", "actorId"),
        "action": F(Enum(ACTIONS), required=True),
        "itemType": F(Enum(ITEM_TYPES), required=True, nullable=True),
        **returned(Str(), "itemId", "memberId", "reason", nullable=True),
        **returned(DateTime(), "at"),
        **returned(DateTime(), "until", nullable=True),
    },
)


NOTICE = Obj(
    "ModerationNotice",
    {
        **returned(Str(), "id", "eventId"),
        "action": F(Enum(ACTIONS), required=True),
        "itemType": F(Enum(ITEM_TYPES), required=True, nullable=True),
        **returned(Str(), "itemId", "reason", nullable=True),
        **returned(DateTime(), "at"),
        **returned(DateTime(), "until", nullable=True),
    },
)
