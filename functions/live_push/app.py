"""Live-push worker: domain events (EventBridge rule -> SQS) -> the WebSocket connections following
their event or session, as far as each may see them. A gone connection is forgotten; a throttled one
fails the record (partial batch response), so SQS retries it."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import request_scope, wiring
from backchannel.core.observability import logger
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
    wiring.count(LiveMessagesSent=outcome.sent, LiveConnectionsGone=outcome.gone)
    wiring.log_outcome("pushed live", detail_type, detail, outcome, "sent", "gone", "expired", "withheld")


lambda_handler = wiring.sqs_handler(handle_record, raise_on_entire_batch_failure=False)
