"""Collect API: an event's hashtag sources on Mastodon and Bluesky (its organisers)."""

from __future__ import annotations

from backchannel.collect import rules as collect
from backchannel.collect import schemas
from backchannel.collect.dynamo import DynamoSourcesRepo
from backchannel.collect.scheduling import CollectQueue, CollectSchedules
from backchannel.conference.dynamo import DynamoConferenceRepo
from backchannel.core import http, wiring
from backchannel.core.config import get_config
from backchannel.core.model import Page

app = http.make_app()
store = wiring.factory(DynamoConferenceRepo)
sources = wiring.factory(DynamoSourcesRepo)
enqueue = wiring.from_setting(CollectQueue, "collect_queue_url")


@wiring.factory
def schedules() -> CollectSchedules:
    cfg = get_config()
    return CollectSchedules(
        group=cfg.require("collect_schedule_group"),
        queue_arn=cfg.require("collect_queue_arn"),
        role_arn=cfg.require("collect_scheduler_role_arn"),
        minutes=cfg.collect_every_minutes,
    )


@wiring.factory
def sealer():
    from backchannel.circulation.transports.sealing import Sealer

    return Sealer(get_config().require("circulation_key_id"))


def _check_instance(url: str) -> None:
    from backchannel.circulation.transports.outbound import check_url

    check_url(url, allow=get_config().outbound_allow_list)


@app.post(
    "/events/<eventId>/sources",
    limit="organising",
    request=schemas.SOURCE_CREATE,
    response=schemas.SOURCE,
    errors=(403, 404, 409),
)
def add_source(eventId: str):
    """Collect an event's hashtags from a Mastodon instance or Bluesky (its organisers)"""
    source = collect.add_source(
        store(),
        sources(),
        schedules(),
        http.caller(app),
        eventId,
        http.body(app, schemas.SOURCE_CREATE),
        check_instance=_check_instance,
        seal=lambda secret, context: sealer().seal(secret, context),
    )
    wiring.count(SourcesAdded=1)
    return http.created(source.to_json(), f"/events/{eventId}/sources/{source.id}")


@app.get("/events/<eventId>/sources", response=schemas.SOURCE, paginated=True, errors=(403, 404))
def list_sources(eventId: str):
    """An event's hashtag sources and how their collection goes (its organisers)"""
    return http.page(Page(collect.list_sources(store(), sources(), http.caller(app), eventId)))


@app.post(
    "/events/<eventId>/sources/<sourceId>/sync",
    status=202,
    limit="organising",
    response=schemas.SOURCE,
    errors=(403, 404),
)
def sync_source(eventId: str, sourceId: str):
    """Collect from a source now: one cycle, queued (its event's organisers)"""
    source = collect.request_sync(store(), sources(), enqueue(), http.caller(app), eventId, sourceId)
    return http.ok(source.to_json(), 202)


@app.delete("/events/<eventId>/sources/<sourceId>", limit="organising", errors=(403, 404))
def stop_source(eventId: str, sourceId: str):
    """Stop collecting from a source (its event's organisers); what it collected stays"""
    collect.stop_source(store(), sources(), schedules(), http.caller(app), eventId, sourceId)
    return http.no_content()


lambda_handler = http.lambda_handler(app)
