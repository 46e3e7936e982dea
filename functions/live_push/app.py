"""Live-push worker: domain events (EventBridge rule -> SQS) -> the WebSocket connections following
their event or session, as far as each may see them. A batch's new posts are coalesced into one tick
per topic (``backchannel.live.ticks``); the rest go one message each. A gone connection is forgotten;
a throttled one, or a topic whose tick lease stayed taken, fails its records (partial batch
response), so SQS retries them."""

from __future__ import annotations

from typing import Any

from backchannel.capture.dynamo import DynamoCaptureRepo
from backchannel.circulation.dynamo import DynamoCirculationRepo
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import request_scope, wiring
from backchannel.core.config import get_config
from backchannel.core.observability import logger, metrics
from backchannel.live import fanout
from backchannel.live.connections import DynamoConnectionsRepo
from backchannel.live.sender import ApiGatewaySender
from backchannel.messaging.envelope import domain_event
from backchannel.questions.dynamo import DynamoQuestionsRepo

store = wiring.factory(DynamoConferenceRepo)
connections = wiring.factory(DynamoConnectionsRepo)
captured = wiring.factory(DynamoCaptureRepo)
sender = wiring.factory(ApiGatewaySender)
network = wiring.factory(DynamoCirculationRepo)
asked = wiring.factory(DynamoQuestionsRepo)


def read_posts(post_ids: list[str]) -> dict[str, dict]:
    return {post_id: post.to_json() for post_id, post in captured().get_posts(post_ids).items()}


def asker_of(question_id: str) -> str | None:
    question = asked().get_question(question_id)
    return question.asker_id if question else None


def settings() -> fanout.TickSettings:
    cfg = get_config()
    return fanout.TickSettings(
        sample=cfg.live_tick_sample,
        min_interval_s=cfg.live_tick_min_interval_s,
        rate=cfg.live_push_rate,
        workers=cfg.live_push_workers,
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    records = event.get("Records") or []
    parsed, failed = [], []
    for record in records:
        try:
            parsed.append((record["messageId"], domain_event(record["body"])))
        except (ValueError, KeyError, TypeError):  # not an EventBridge event: fails alone, then the DLQ
            logger.exception("not a domain event", extra={"message_id": record.get("messageId")})
            failed.append(record.get("messageId"))
    request_scope.begin()
    blocks = fanout.Blocks(network().blockers_of, asker_of)  # read afresh for every batch
    outcome, retry = fanout.push_batch(
        store(),
        connections(),
        sender(),
        [e for _, e in parsed],
        read_posts=read_posts,
        settings=settings(),
        blocks=blocks,
    )
    failed += [parsed[n][0] for n in sorted(retry)]
    wiring.count(LiveMessagesSent=outcome.sent, LiveConnectionsGone=outcome.gone, LiveTicks=outcome.ticks)
    logger.info(
        "pushed live",
        extra={
            "records": len(records),
            "failed": len(failed),
            "sent": outcome.sent,
            "gone": outcome.gone,
            "ticks": outcome.ticks,
            "expired": outcome.expired,
            "withheld": outcome.withheld,
        },
    )
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed if m]}
