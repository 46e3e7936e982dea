"""Packs worker: the compile queue (EventBridge rule -> SQS, and the end-of-session schedules) ->
builds of packs into S3, rebuilds after changes, and the schedules themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import request_scope, wiring
from backchannel.core.config import get_config
from backchannel.core.observability import logger
from backchannel.messaging.bus import default_publisher
from backchannel.messaging.envelope import domain_event
from backchannel.packs.scheduling import SessionEndSchedules
from backchannel.packs.storage import S3Storage
from backchannel.packs.worker import Worker, handle

if TYPE_CHECKING:  # the event's record class, a type only: Powertools' data classes load with the batch
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def _member_events(member_id: str):
    cursor = None
    while True:
        page = store().list_memberships(member_id, 100, cursor)
        yield from (m.event_id for m in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return


circulation = wiring.lazy_factory("backchannel.circulation.dynamo", "DynamoCirculationRepo")


def _retract_publications(pack_id: str) -> int:
    from backchannel.core.model import iso, utcnow

    return circulation().retract_publications(pack_id, now=iso(utcnow()))


store = wiring.factory(DynamoConferenceRepo)


def _compile(*args, **kwargs):
    """The compiler (renderers, nh3, the EPUB writer) is imported by the first build, not at init."""
    from backchannel.packs.compile import compile_with_stores

    return compile_with_stores(*args, **kwargs)


def _refresh_collected(target) -> None:
    """Collected posts deleted or edited upstream leave or change before the build reads them."""
    from backchannel.capture.dynamo import DynamoCaptureRepo
    from backchannel.collect.dynamo import DynamoSourcesRepo
    from backchannel.collect.refresh import refresh_target

    refresh_target(
        store(), DynamoCaptureRepo(), DynamoSourcesRepo(), target.event_id, target.kind, target.target_id
    )


@wiring.factory
def worker() -> Worker:
    from backchannel.packs.dynamo import DynamoPacksRepo  # the items load with the first message

    def schedules() -> SessionEndSchedules:
        cfg = get_config()
        return SessionEndSchedules(
            group=cfg.require("packs_schedule_group"),
            queue_arn=cfg.require("packs_queue_arn"),
            role_arn=cfg.require("packs_scheduler_role_arn"),
        )

    return Worker(
        repo=DynamoPacksRepo(),
        publisher=default_publisher(),
        storage=lambda: S3Storage(get_config().require("packs_bucket_name")),
        compile=_compile,
        store=store(),
        schedules=schedules,
        grace_minutes=lambda: get_config().pack_grace_period_minutes,
        member_events=_member_events,
        retract_publications=_retract_publications,
        refresh_collected=_refresh_collected,
    )


def handle_record(record: SQSRecord) -> None:
    request_scope.begin()  # nothing read for one message is trusted for the next
    detail_type, detail = domain_event(record.body)  # an EventBridge event, as the rule delivers it
    done = handle(worker(), detail_type, detail)
    wiring.count(PackMessages=1)
    logger.info(
        "pack message handled",
        extra={
            "detail_type": detail_type,
            "outcome": done,
            "domain_event_id": detail.get("domainEventId"),
        },
    )


# Report even a whole failed batch item by item (batches are one message: a build can be long).
lambda_handler = wiring.sqs_handler(handle_record, raise_on_entire_batch_failure=False)
