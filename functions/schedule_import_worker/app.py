"""Schedule import worker: an import queued by the events API (SQS, ``{"importId": …}``) -> fetched or
read from the imports bucket, checked, planned and written, its record kept up to date (``running``
with its progress, then ``done`` or ``failed``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.conference.schedule import rules as schedule
from backchannel.conference.schedule.dynamo import DynamoScheduleRepo
from backchannel.conference.schedule.jobs import ImportJobs
from backchannel.core import wiring
from backchannel.core.observability import logger

if TYPE_CHECKING:  # the event's record class, a type only: Powertools' data classes load with the batch
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

store = wiring.factory(DynamoConferenceRepo)
imports = wiring.factory(DynamoScheduleRepo)
jobs = wiring.factory(ImportJobs)


def handle_record(record: SQSRecord) -> None:
    import_id = json.loads(record.body)["importId"]
    done = schedule.run_import(store(), imports(), jobs(), import_id)
    if done is None:
        return
    wiring.count(ScheduleImportsRun=1, SessionsImported=done.created)
    logger.info(
        "schedule import finished",
        extra={
            "import_id": import_id,
            "status": done.status,
            "attempts": done.attempts,
            **{
                f"sessions_{name}": getattr(done, name)
                for name in ("created", "updated", "unchanged", "removed")
            },
        },
    )


lambda_handler = wiring.sqs_handler(handle_record)
