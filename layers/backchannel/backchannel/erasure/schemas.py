"""Response schema of an erasure."""

from __future__ import annotations

from backchannel.core.validation import DateTime, Enum, F, Int, Obj, Str, returned

ERASURE = Obj(
    "Erasure",
    {
        **returned(Str(), "id"),
        "status": F(Enum(("erasing", "erased")), required=True),
        "progress": F(Int(minimum=0, maximum=100), required=True, description="per cent of the steps done"),
        "erased": F(Int(minimum=0), required=True, description="items removed or made anonymous so far"),
        "requestedAt": F(DateTime(), required=True),
        "finishedAt": F(DateTime(), required=True, nullable=True),
    },
)
