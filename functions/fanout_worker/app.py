"""Fan-out worker: PackPublished -> the publication's circulated edition, then one delivery per (pack
version, recipient, channel) on the delivery queue, in batches of 10; PackRetracted -> the edition
rebuilt without what was taken away, and a retraction per webhook and Mastodon delivery it reached."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backchannel.circulation import publishing
from backchannel.circulation.queue import DeliveryQueue
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import request_scope, wiring
from backchannel.core.config import get_config
from backchannel.core.observability import logger
from backchannel.messaging.envelope import domain_event

if TYPE_CHECKING:  # the event's record class, a type only: Powertools' data classes load with the batch
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

store = wiring.factory(DynamoConferenceRepo)
repo = wiring.lazy_factory("backchannel.circulation.dynamo", "DynamoCirculationRepo")
queue = wiring.from_setting(DeliveryQueue, "delivery_queue_url")


@wiring.factory
def editions():
    from backchannel.packs.editions import S3Editions
    from backchannel.packs.storage import S3Storage

    return S3Editions(S3Storage(get_config().require("packs_bucket_name")))


def handle_record(record: SQSRecord) -> None:
    request_scope.begin()
    detail_type, detail = domain_event(record.body)
    pack_id, version = str(detail.get("packId") or ""), detail.get("version")
    if not pack_id or not isinstance(version, int):
        raise ValueError(f"{detail_type} without packId and version")
    if detail_type == "PackPublished":
        done = publishing.fan_out(store(), repo(), queue(), editions(), pack_id, version)
        if done is not None:
            wiring.count(DeliveriesEnqueued=done.deliveries)
        outcome = "no such publication" if done is None else f"{done.deliveries} deliveries"
    elif detail_type == "PackRetracted":
        outcome = f"{publishing.retract(repo(), queue(), editions(), pack_id, version)} retractions"
    else:
        outcome = "ignored"
    logger.info("fan-out message handled", extra={"detail_type": detail_type, "outcome": outcome})


lambda_handler = wiring.sqs_handler(handle_record, raise_on_entire_batch_failure=False)
