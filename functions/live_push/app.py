"""Live-push worker: domain events (EventBridge rule -> SQS) -> the WebSocket connections following
their event or session, as far as each may see them. A gone connection is forgotten; a throttled one
fails the record (partial batch response), so SQS retries it."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import request_scope, wiring
from backchannel.core.observability import logger, metrics
from backchannel.live import rules
from backchannel.live.connections import DynamoConnectionsRepo
from backchannel.live.sender import ApiGatewaySender
from backchannel.messaging.envelope import domain_event

store = wiring.factory(DynamoConferenceRepo)
connections = wiring.factory(DynamoConnectionsRepo)
sender = wiring.factory(ApiGatewaySender)


def handle_record(record: SQSRecord) -> None:
    detail_type, detail = domain_event(record.body)  # an EventBridge event, as the rule delivers it
    request_scope.begin()
    outcome = rules.push(store(), connections(), sender(), detail_type, detail)
    if outcome is None:
        logger.info("event not pushed live", extra={"detail_type": detail_type})
        return
    metrics.add_metric(name="LiveMessagesSent", unit="Count", value=outcome.sent)
    metrics.add_metric(name="LiveConnectionsGone", unit="Count", value=outcome.gone)
    logger.info(
        "pushed live",
        extra={
            "detail_type": detail_type,
            "domain_event_id": detail.get("domainEventId"),
            "sent": outcome.sent,
            "gone": outcome.gone,
            "expired": outcome.expired,
            "withheld": outcome.withheld,
        },
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return wiring.sqs_batch(event, context, handle_record, raise_on_entire_batch_failure=False)
