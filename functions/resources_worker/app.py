"""Resources worker: domain events about posts, notes and summaries (EventBridge rule -> SQS) -> the
resources of their sessions and events, counted by distinct sharers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backchannel.core import wiring
from backchannel.core.observability import logger
from backchannel.messaging.envelope import domain_event
from backchannel.resources import rules as resources
from backchannel.resources.dynamo import DynamoResourcesRepo, DynamoSourceReader

if TYPE_CHECKING:  # the event's record class, a type only: Powertools' data classes load with the batch
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

ledger = wiring.factory(DynamoResourcesRepo)
reader = wiring.factory(DynamoSourceReader)


def handle_record(record: SQSRecord) -> None:
    detail_type, detail = domain_event(record.body)  # an EventBridge event, as the rule delivers it
    outcome = resources.handle_event(detail_type, detail, reader(), ledger())
    if outcome is None:
        logger.info("event not handled here", extra={"detail_type": detail_type})
        return
    wiring.count(ResourceSharesAdded=outcome.added, ResourceSharesRemoved=outcome.removed)
    wiring.log_outcome("resources reconciled", detail_type, detail, outcome, "added", "removed", "passes")


lambda_handler = wiring.sqs_handler(handle_record)
