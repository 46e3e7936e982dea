"""Collect worker: the collect queue (each source's schedule while its event is on, and the sync
route) -> one collection cycle of that source."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from backchannel.capture.dynamo import DynamoCaptureRepo
from backchannel.collect import rules as collect
from backchannel.collect.dynamo import DynamoSourcesRepo
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import request_scope, wiring
from backchannel.core.config import get_config
from backchannel.core.observability import logger

if TYPE_CHECKING:  # the event's record class, a type only: Powertools' data classes load with the batch
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

store = wiring.factory(DynamoConferenceRepo)
capture = wiring.factory(DynamoCaptureRepo)
sources = wiring.factory(DynamoSourcesRepo)


@wiring.factory
def sealer():
    from backchannel.circulation.transports.sealing import Sealer

    return Sealer(get_config().require("circulation_key_id"))


def network_for(source):
    from backchannel.collect.clients import client_for

    return client_for(source, open_sealed=lambda s: sealer().open(s.sealed, collect.context(s)))


def handle_record(record: SQSRecord) -> None:
    request_scope.begin()
    message = json.loads(record.body)
    detail = message.get("detail") or {}
    event_id, source_id = str(detail.get("eventId") or ""), str(detail.get("sourceId") or "")
    if not event_id or not source_id:
        raise ValueError("CollectDue without eventId and sourceId")
    cycle = collect.collect(store(), capture(), sources(), network_for, event_id, source_id)
    wiring.count(PostsCollected=cycle.collected, CollectCycles=1)
    logger.info(
        "collection cycle",
        extra={
            "source_id": source_id,
            "outcome": cycle.done,
            "collected": cycle.collected,
            "duplicates": cycle.duplicates,
            "skipped": cycle.skipped,
            "error": cycle.error,
        },
    )


lambda_handler = wiring.sqs_handler(handle_record)
