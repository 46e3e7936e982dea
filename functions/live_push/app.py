"""Live-push worker: the main table's stream (its own subscription, filtered to the items that make live
news: posts, questions, summaries) -> the domain events of each change, derived with the stream
router's own code (``messaging.router.events_of``: the same ids as on the bus) -> the WebSocket
connections following their event or session, as far as each may see them. A batch's new posts are
coalesced into one tick per topic (``backchannel.live.ticks``); the rest go one message each. A gone
connection is forgotten; a throttled one, or a topic whose slot stayed closed, fails its records
(partial batch response), so Lambda retries from the first of them (at most twice, then the
``LivePushDLQ`` destination).

Its second source, the live chunks queue: the parts of a big tick's audience that its claimant handed
to parallel invocations (``fanout.send_chunk``); a job whose connections stay throttled after its
last attempt fails, and the queue's redrive takes it to ``LivePushDLQ``."""

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
from backchannel.live.model import PushOutcome
from backchannel.live.sender import ApiGatewaySender, QueueTickChunks, chunk_job
from backchannel.messaging import stream
from backchannel.messaging.router import events_of
from backchannel.questions.dynamo import DynamoQuestionsRepo

store = wiring.factory(DynamoConferenceRepo)
connections = wiring.factory(DynamoConnectionsRepo)
captured = wiring.factory(DynamoCaptureRepo)
sender = wiring.factory(ApiGatewaySender)
network = wiring.factory(DynamoCirculationRepo)
asked = wiring.factory(DynamoQuestionsRepo)
chunks = wiring.from_setting(QueueTickChunks, "live_chunks_queue_url")


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
        chunk=cfg.live_tick_chunk,
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: Any) -> dict:
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:sqs":
        return send_chunks(records)
    sequences: list[str] = []  # the stream record of each derived event, by position
    events: list[tuple[str, dict]] = []
    failed: list[str] = []
    for record in records:
        sequence = stream.sequence_number(record)
        try:
            derived = events_of(record)
        except Exception as err:  # a poison record fails (bisect, retries, then the DLQ); the type only
            logger.error(
                "stream record not understood",
                extra={"sequence_number": sequence, "error": type(err).__name__},
            )
            failed.append(sequence)
            continue
        for domain_event in derived:
            sequences.append(sequence)
            events.append((domain_event.detail_type, domain_event.detail))
    request_scope.begin()
    blocks = fanout.Blocks(network().blockers_of, asker_of)  # read afresh for every batch
    outcome, retry = fanout.push_batch(
        store(),
        connections(),
        sender(),
        events,
        read_posts=read_posts,
        settings=settings(),
        chunks=chunks(),
        blocks=blocks,
    )
    failed += [sequences[n] for n in sorted(retry)]
    wiring.count(LiveMessagesSent=outcome.sent, LiveConnectionsGone=outcome.gone, LiveTicks=outcome.ticks)
    logger.info(
        "pushed live",
        extra={
            "records": len(records),
            "events": len(events),
            "failed": len(set(failed)),
            "sent": outcome.sent,
            "gone": outcome.gone,
            "ticks": outcome.ticks,
            "expired": outcome.expired,
            "withheld": outcome.withheld,
        },
    )
    return {"batchItemFailures": [{"itemIdentifier": s} for s in dict.fromkeys(failed)]}


def send_chunks(records: list[dict]) -> dict:
    """Chunks of big ticks (SQS): each sent to its connections; a job that stays throttled fails."""
    failed, total = [], PushOutcome()
    for record in records:
        try:
            message, targets, attempt = chunk_job(record["body"])
        except (ValueError, KeyError, TypeError):  # not a chunk job: fails alone, then the DLQ
            logger.exception("not a tick chunk", extra={"message_id": record.get("messageId")})
            failed.append(record.get("messageId"))
            continue
        outcome = fanout.send_chunk(
            connections(), sender(), chunks(), message, targets, attempt=attempt, settings=settings()
        )
        if outcome.throttled:
            failed.append(record.get("messageId"))
        fanout.add_outcome(total, outcome)
    wiring.count(LiveMessagesSent=total.sent, LiveConnectionsGone=total.gone)
    logger.info(
        "tick chunks sent",
        extra={"records": len(records), "failed": len(failed), "sent": total.sent, "gone": total.gone},
    )
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed if m]}
