"""Delivery worker: one delivery per message (inbox, email, webhook, Mastodon, a retraction, or a
channel's daily digest, enqueued by the daily schedule),
exactly once per (pack version, recipient, channel); a failed attempt comes back after an exponential
back-off with jitter, the last one goes to the dead-letter queue. Also mails new email channels their
verification code (ChannelAdded)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from backchannel.circulation import delivery, digests
from backchannel.circulation.model import Job
from backchannel.circulation.queue import DeliveryQueue
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import request_scope, wiring
from backchannel.core.config import get_config
from backchannel.core.observability import logger, metrics

if TYPE_CHECKING:  # the event's record class, a type only: Powertools' data classes load with the batch
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

store = wiring.factory(DynamoConferenceRepo)
repo = wiring.lazy_factory("backchannel.circulation.dynamo", "DynamoCirculationRepo")
packs = wiring.lazy_factory("backchannel.packs.dynamo", "DynamoPacksRepo")
queue = wiring.from_setting(DeliveryQueue, "delivery_queue_url")


@wiring.factory
def transports() -> delivery.Outbound:
    from backchannel.circulation.transports import outbound
    from backchannel.circulation.transports.mail import SesMailer
    from backchannel.circulation.transports.sealing import KmsMac, Sealer

    cfg = get_config()
    return delivery.Outbound(
        sealer=Sealer(cfg.require("circulation_key_id")),
        mailer=SesMailer(),
        send=outbound.send,
        allow=cfg.outbound_allow_list,
        timeout_s=cfg.outbound_timeout_s,
        public_url=cfg.require("public_api_url"),
        mail_from=cfg.require("mail_from"),
        link_days=cfg.circulated_link_days,
        mac=KmsMac(cfg.require("circulation_mac_key_id")),
    )


def handle_record(record: SQSRecord) -> None:
    body = json.loads(record.body)
    if not isinstance(body, dict):
        raise ValueError("not a delivery message")
    if "detail-type" in body:  # a domain event from the bus rule
        detail = body.get("detail") or {}
        if body["detail-type"] == "ChannelAdded":
            outcome = delivery.send_verification(
                repo(), transports(), str(detail.get("memberId")), str(detail.get("channelId"))
            )
            logger.info("channel message handled", extra={"outcome": outcome})
        return
    job = Job.from_message(body)
    cfg = get_config()
    attempt = int(record.attributes.approximate_receive_count or 1)
    try:
        outcome = delivery.deliver(
            repo(),
            store(),
            packs(),
            transports(),
            job,
            attempt=attempt,
            max_attempts=cfg.delivery_max_attempts,
            base_s=cfg.delivery_retry_base_s,
            cap_s=cfg.delivery_retry_cap_s,
        )
    except delivery.Retry as err:
        queue().retry_in(record.receipt_handle, err.delay_s)
        wiring.count(DeliveryRetries=1)
        logger.warning(
            "delivery will be retried",
            extra={
                "delivery_id": job.id,
                "channel": job.channel_type,
                "attempt": attempt,
                "in_s": err.delay_s,
            },
        )
        raise
    except delivery.GiveUp:
        queue().retry_in(record.receipt_handle, 0)  # straight on to the dead-letter queue
        wiring.count(DeliveriesFailed=1)
        logger.error("delivery failed for good", extra={"delivery_id": job.id, "channel": job.channel_type})
        raise
    wiring.count(Deliveries=1)
    logger.info(
        "delivery handled", extra={"delivery_id": job.id, "channel": job.channel_type, "outcome": outcome}
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    # one scope per invocation: a batch of jobs shares its reads of the pack, the event and the sender
    request_scope.begin()
    if event.get("detail-type") == "Scheduled Event":  # the daily digest rule
        day = str(event.get("time") or "")[:10] or "today"
        jobs = digests.run_digests(repo(), queue(), day)
        logger.info("daily digests enqueued", extra={"channels": jobs, "day": day})
        return {"digests": jobs}
    return wiring.sqs_batch(event, context, handle_record, raise_on_entire_batch_failure=False)
