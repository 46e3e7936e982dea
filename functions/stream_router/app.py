"""Stream router: the main table's DynamoDB stream -> domain events on the EventBridge bus."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backchannel.core import wiring
from backchannel.core.observability import logger, metrics
from backchannel.messaging import bus, router

if TYPE_CHECKING:  # the event's record class, a type only: Powertools' data classes load with the batch
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context, publisher: bus.EventPublisher | None = None) -> dict:
    records = event.get("Records") or []
    routed = router.route(records, publisher or bus.default_publisher())
    wiring.count(DomainEventsPublished=routed.published)
    if routed.failures:
        wiring.count(StreamRecordsFailed=len(routed.failures))
    logger.info(
        "stream batch routed",
        extra={"records": len(records), "events": routed.derived, "published": routed.published},
    )

    def settle(record: DynamoDBRecord) -> None:
        routed.check(record.dynamodb.sequence_number)

    return wiring.stream_batch(event, context, settle)
