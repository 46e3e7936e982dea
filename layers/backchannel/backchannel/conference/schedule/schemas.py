"""Request and response schemas of schedule imports."""

from __future__ import annotations

from backchannel.conference.schedule.model import STAGES, STATUSES
from backchannel.conference.schedule.plan import FORMATS
from backchannel.core.validation import Arr, Bool, DateTime, Enum, F, Int, Obj, Str, Text, Url, returned

_format = Enum(("auto", *FORMATS))

SCHEDULE_IMPORT_CREATE = Obj(
    "ScheduleImportCreate",
    {
        "format": F(_format, default="auto", description="auto: told by the document's first characters"),
        "url": F(Url(), description="where to fetch the schedule, over https (or give content)"),
        "content": F(
            Text(max_len=None), description="the schedule itself, at most 5 MiB of UTF-8 (or give url)"
        ),
        "dryRun": F(Bool(), default=False, description="report what would change, and write nothing"),
        "removeMissing": F(
            Bool(),
            default=False,
            description="remove the imported sessions that the schedule no longer has (never those made by hand)",
        ),
    },
)

_problem = Obj(
    "ScheduleImportProblem",
    {
        **returned(Str(), "entry", "field", "message"),
    },
    description="entry: where in the document (and the entry's id and title), or 'document'",
)

_progress = Obj(
    "ScheduleImportProgress",
    {
        "stage": F(Enum(STAGES), required=True),
        **returned(Int(minimum=0), "written", "total"),
    },
    description="fetching the URL, reading and checking the document, or writing (written of total)",
)

SCHEDULE_IMPORT = Obj(
    "ScheduleImport",
    {
        **returned(Str(), "id", "eventId"),
        "format": F(_format, required=True),
        "url": F(Str(), required=True, nullable=True),
        **returned(Bool(), "dryRun", "removeMissing"),
        "status": F(
            Enum(STATUSES),
            required=True,
            description="queued and running: with the worker (202); done or failed: finished",
        ),
        "progress": F(
            _progress,
            required=True,
            nullable=True,
            description="while running: its stage, and how many session changes are written of how many",
        ),
        **returned(Int(minimum=0), "created", "updated", "unchanged", "removed"),
        "errors": F(Arr(_problem, max_items=100), required=True),
        **returned(Str(), "requestedBy"),
        **returned(DateTime(), "createdAt", "updatedAt"),
    },
)
