"""Erasure worker: ``MemberErasureRequested`` (EventBridge rule -> SQS) -> the erasure run to its end.
It checkpoints after every page it sweeps, so a worker that times out or dies is resumed where it
stopped by the queue's next delivery (the record is retried, never skipped)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backchannel.core import wiring
from backchannel.core.observability import logger
from backchannel.erasure import rules as erasure
from backchannel.erasure.dynamo import DynamoErasureRepo, DynamoSweeper
from backchannel.messaging.envelope import domain_event

if TYPE_CHECKING:  # the event's record class, a type only: Powertools' data classes load with the batch
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

erasures = wiring.factory(DynamoErasureRepo)
sweeper = wiring.factory(DynamoSweeper)


def handle_record(record: SQSRecord) -> None:
    _, detail = domain_event(record.body)  # an EventBridge event, as the rule delivers it
    done = erasure.run(erasures(), sweeper(), str(detail.get("erasureId") or ""))
    if done is None:
        logger.info("no such erasure", extra={"erasure_id": detail.get("erasureId")})
        return
    wiring.count(ItemsErased=done.erased)


lambda_handler = wiring.sqs_handler(handle_record)
