"""Response schema of an export."""

from __future__ import annotations

from backchannel.core.validation import DateTime, Enum, F, Int, Obj, Str, returned

EXPORT = Obj(
    "Export",
    {
        **returned(Str(), "id"),
        "status": F(Enum(("building", "ready", "failed")), required=True),
        "progress": F(Int(minimum=0, maximum=100), required=True, description="per cent of the build done"),
        "url": F(
            Str(),
            required=True,
            nullable=True,
            description="when ready: a link to the zip (JSON and Markdown of everything of yours), valid until expiresAt",
        ),
        "expiresAt": F(
            DateTime(), required=True, nullable=True, description="when url stops working (an hour)"
        ),
        "size": F(Int(minimum=0), required=True, nullable=True, description="bytes of the zip, when ready"),
        "requestedAt": F(DateTime(), required=True),
        "finishedAt": F(DateTime(), required=True, nullable=True),
        "error": F(Str(), required=True, nullable=True, description="why the build failed"),
    },
)
