"""Export worker: ``ExportRequested`` (EventBridge rule -> SQS) -> the member's export built once into
a zip in the packs bucket. A redelivered message of a finished export does nothing; one that finds
another build running comes back later (see :mod:`backchannel.exports.rules`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backchannel.core import wiring
from backchannel.core.observability import logger
from backchannel.exports import rules as exports
from backchannel.exports.dynamo import DynamoExportRepo, DynamoExportSource, S3ExportStorage
from backchannel.messaging.envelope import domain_event

if TYPE_CHECKING:  # the event's record class, a type only: Powertools' data classes load with the batch
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

records = wiring.factory(DynamoExportRepo)
source = wiring.factory(DynamoExportSource)
storage = wiring.factory(S3ExportStorage)


def handle_record(record: SQSRecord) -> None:
    _, detail = domain_event(record.body)  # an EventBridge event, as the rule delivers it
    done = exports.build(records(), source(), storage(), str(detail.get("exportId") or ""))
    if done is None:
        logger.info("no such export", extra={"export_id": detail.get("exportId")})
        return
    logger.info("export handled", extra={"export_id": done.id, "status": done.status})
    wiring.count(**{"ExportsReady" if done.status == "ready" else "ExportsFailed": 1})


lambda_handler = wiring.sqs_handler(handle_record)
