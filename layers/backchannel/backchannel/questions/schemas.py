"""Request and response schemas of the questions API (validation and the OpenAPI document)."""

from __future__ import annotations

from backchannel.core.schemas import ULID
from backchannel.core.validation import Bool, DateTime, Enum, F, Int, Obj, Str, Text, returned

QUESTION_CREATE = Obj(
    "QuestionCreate",
    {
        "text": F(Text(max_len=2000, description="at most 300 characters"), required=True),
        "anonymous": F(
            Bool(description="shown without your name to others (organisers still see it)"), default=False
        ),
        "id": F(
            Str(
                pattern=ULID,
                pattern_hint="must be a ULID (26 characters, Crockford base32)",
                min_len=26,
                max_len=26,
            ),
            description="client-generated ULID for offline capture: resending is safe",
        ),
    },
)
QUESTION_UPDATE = Obj(
    "QuestionUpdate",
    {
        "status": F(Enum(("approved", "hidden"), description="approve or hide (organisers)")),
        "answered": F(Bool(description="mark answered (or not)")),
    },
    description="Organisers moderate: at least one field.",
)
QUESTION_SETTINGS_PUT = Obj(
    "QuestionSettingsPut",
    {
        "preModeration": F(
            Bool(description="new questions wait for an organiser's approval before others see them"),
            required=True,
        )
    },
)

_asker = Obj("QuestionAsker", returned(Str(), "id", "displayName"))
QUESTION = Obj(
    "Question",
    {
        **returned(Str(), "id", "eventId", "sessionId", "text"),
        "anonymous": F(Bool(), required=True),
        "asker": F(
            _asker,
            required=True,
            nullable=True,
            description="null on anonymous questions, except for organisers and the asker",
        ),
        "status": F(Enum(("pending", "approved", "hidden")), required=True),
        "answered": F(Bool(), required=True),
        "answeredAt": F(DateTime(), required=True, nullable=True),
        "votes": F(Int(minimum=0), required=True),
        "voted": F(Bool(description="whether you voted for it"), required=True),
        **returned(DateTime(), "createdAt", "updatedAt"),
    },
)
QUESTION_SETTINGS = Obj(
    "QuestionSettings",
    {
        "sessionId": F(Str(), required=True),
        "preModeration": F(Bool(), required=True),
        "updatedAt": F(DateTime(), required=True, nullable=True),
    },
)
