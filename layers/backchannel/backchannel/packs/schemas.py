"""Request and response schemas of the packs API."""

from __future__ import annotations

from backchannel.core.validation import Arr, Enum, F, Int, Obj, Str

FORMAT_NAMES = ("html", "md", "json", "epub")

PERSONAL_PACK_REQUEST = Obj(
    "PersonalPackRequest",
    {"eventId": F(Str(min_len=1, max_len=40), required=True, description="the event of the pack")},
)
# Organisers' requests carry no body (or an empty object).
PACK_REQUEST = Obj("PackRequest", {})

_progress = Obj(
    "PackProgress",
    {
        "done": F(Int(minimum=0), required=True, description="items compiled so far"),
        "total": F(Int(minimum=0), required=True, nullable=True, description="all items, once known"),
    },
)
_artifact = Obj(
    "PackArtifact",
    {
        "format": F(Enum(FORMAT_NAMES), required=True),
        "contentType": F(Str(), required=True),
        "size": F(Int(minimum=0), required=True, description="bytes"),
    },
)

PACK = Obj(
    "Pack",
    {
        "id": F(Str(), required=True),
        "kind": F(Enum(("session", "event", "personal")), required=True),
        "targetId": F(Str(), required=True, description="the session's or the event's id"),
        "eventId": F(Str(), required=True),
        "memberId": F(Str(), required=True, nullable=True, description="a personal pack's owner"),
        "status": F(Enum(("queued", "building", "ready", "failed")), required=True),
        "version": F(Int(minimum=1), required=True, description="the newest version asked for"),
        "readyVersion": F(Int(minimum=1), required=True, nullable=True, description="the version served"),
        "formats": F(Arr(Enum(FORMAT_NAMES)), required=True),
        "artifacts": F(Arr(_artifact), required=True),
        "progress": F(_progress, required=True, nullable=True, description="while building"),
        "reason": F(Str(), required=True, nullable=True, description="why the last build failed"),
        "createdAt": F(Str(), required=True),
        "updatedAt": F(Str(), required=True),
        "downloadUrl": F(Str(), required=True, nullable=True, description="add ?format=html|md|json|epub"),
        "publicUrl": F(Str(), required=True, nullable=True, description="public events: a stable address"),
    },
)
