"""The one place that reads the environment.

Every setting a function uses is read here, lazily, on first use, and cached. Nothing else in the
package reads ``os.environ``. Several functions share one process in the tests and the local runtime,
each with its own environment, so :func:`reset` forgets everything cached (settings, clients, model
bindings) when the environment changes.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass

_resetters: list[Callable[[], None]] = []


def on_reset(fn: Callable[[], None]) -> Callable[[], None]:
    """Register a function that drops a cache when :func:`reset` is called."""
    _resetters.append(fn)
    return fn


def reset() -> None:
    """Forget every cached setting, client and binding (for harnesses that swap the environment)."""
    get_config.cache_clear()
    for fn in _resetters:
        fn()


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Config:
    region: str
    data_table_name: str | None
    idempotency_table_name: str | None
    event_bus_name: str | None
    jwt_issuer: str | None
    jwt_audience: str | None
    service_name: str
    connections_table_name: str | None = None
    websocket_endpoint: str | None = None
    packs_bucket_name: str | None = None
    packs_queue_arn: str | None = None
    packs_schedule_group: str | None = None
    packs_scheduler_role_arn: str | None = None
    pack_grace_period_minutes: int = 30
    # DynamoDB client timeouts: API Gateway gives up after 29 s, so fail well before that.
    ddb_connect_timeout_s: float = 2.0
    ddb_read_timeout_s: float = 5.0
    ddb_max_retries: int = 3
    idempotency_ttl_s: int = 24 * 3600
    page_limit_default: int = 25
    page_limit_max: int = 100
    max_body_bytes: int = 256 * 1024
    write_window_days: int = 7
    # Live push: a connection and its subscriptions live this long after the last activity (API
    # Gateway closes a WebSocket after 2 hours anyway); DynamoDB's TTL removes what $disconnect did not.
    connection_ttl_s: int = 2 * 3600
    max_subscriptions: int = 50  # topics one WebSocket connection may follow
    # Fair limits per member and class of route over the defaults of core.limits (see its parse()).
    rate_limits: str = ""
    # post_to_connection when API Gateway throttles (429): attempts and the first back-off.
    push_attempts: int = 3
    push_backoff_s: float = 0.2
    # Live ticks (backchannel.live.ticks): posts per tick, the shortest interval between two ticks of
    # a topic, the post_to_connection calls a second one topic's ticks may take (API Gateway's
    # account-level default is 10,000 requests a second, burst 5,000, for every API of the account and
    # Region: see the README's live section), and the threads that send one tick.
    live_tick_sample: int = 10
    live_tick_min_interval_s: float = 0.25
    live_push_rate: int = 10_000
    live_push_workers: int = 32
    # A tick's audience above this many connections is split over parallel invocations through the
    # live chunks queue (backchannel.live.fanout).
    live_tick_chunk: int = 500
    live_chunks_queue_url: str | None = None
    # Circulation (follows, channels, deliveries of packs)
    circulation_key_id: str | None = None  # KMS key that seals channel secrets
    # KMS HMAC key: verification codes, verification-mail counters, one link token per delivery
    circulation_mac_key_id: str | None = None
    delivery_queue_url: str | None = None
    mail_from: str | None = None
    public_api_url: str | None = None  # links in mail, feeds and statuses point here
    # scheme://host:port origins exempt from the HTTPS and private-address checks: local receivers only.
    outbound_allow_list: tuple[str, ...] = ()
    outbound_timeout_s: float = 5.0
    delivery_max_attempts: int = 5
    delivery_retry_base_s: int = 30
    # Schedule imports run by the worker: its queue, and where a large document waits for it
    schedule_import_queue_url: str | None = None
    schedule_imports_bucket_name: str | None = None
    delivery_retry_cap_s: int = 900
    circulated_link_days: int = 30  # how long a pack link sent by mail, webhook or Mastodon works
    # Collect (hashtag sources): the cycle's queue, its schedules' group and role, minutes between cycles
    collect_queue_url: str | None = None
    collect_queue_arn: str | None = None
    collect_schedule_group: str | None = None
    collect_scheduler_role_arn: str | None = None
    collect_every_minutes: int = 2
    user_pool_id: str | None = None  # erasure deletes the member's user

    def require(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            raise RuntimeError(f"configuration {name.upper()} is not set for this function")
        return value


@functools.cache
def get_config() -> Config:
    env = os.environ
    return Config(
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        data_table_name=env.get("DATA_TABLE_NAME"),
        idempotency_table_name=env.get("IDEMPOTENCY_TABLE_NAME"),
        event_bus_name=env.get("EVENT_BUS_NAME"),
        jwt_issuer=env.get("JWT_ISSUER"),
        jwt_audience=env.get("JWT_AUDIENCE"),
        service_name=env.get("POWERTOOLS_SERVICE_NAME", "backchannel"),
        connections_table_name=env.get("CONNECTIONS_TABLE_NAME"),
        packs_bucket_name=env.get("PACKS_BUCKET_NAME"),
        packs_queue_arn=env.get("PACKS_QUEUE_ARN"),
        packs_schedule_group=env.get("PACKS_SCHEDULE_GROUP"),
        packs_scheduler_role_arn=env.get("PACKS_SCHEDULER_ROLE_ARN"),
        pack_grace_period_minutes=_int("PACK_GRACE_PERIOD_MINUTES", 30),
        websocket_endpoint=env.get("WEBSOCKET_ENDPOINT"),
        max_subscriptions=_int("LIVE_MAX_TOPICS", 50),
        live_tick_chunk=_int("LIVE_TICK_CHUNK", 500),
        live_chunks_queue_url=env.get("LIVE_CHUNKS_QUEUE_URL"),
        rate_limits=env.get("RATE_LIMITS") or "",
        page_limit_default=_int("PAGE_LIMIT_DEFAULT", 25),
        page_limit_max=_int("PAGE_LIMIT_MAX", 100),
        write_window_days=_int("WRITE_WINDOW_DAYS", 7),
        circulation_key_id=env.get("CIRCULATION_KEY_ID"),
        circulation_mac_key_id=env.get("CIRCULATION_MAC_KEY_ID"),
        delivery_queue_url=env.get("DELIVERY_QUEUE_URL"),
        mail_from=env.get("MAIL_FROM"),
        public_api_url=(env.get("PUBLIC_API_URL") or "").rstrip("/") or None,
        outbound_allow_list=tuple(
            x.strip() for x in (env.get("OUTBOUND_ALLOW_LIST") or "").split(",") if x.strip()
        ),
        delivery_max_attempts=_int("DELIVERY_MAX_ATTEMPTS", 5),
        delivery_retry_base_s=_int("DELIVERY_RETRY_BASE_SECONDS", 30),
        schedule_import_queue_url=env.get("SCHEDULE_IMPORT_QUEUE_URL"),
        schedule_imports_bucket_name=env.get("SCHEDULE_IMPORTS_BUCKET_NAME"),
        circulated_link_days=_int("CIRCULATED_LINK_DAYS", 30),
        collect_queue_url=env.get("COLLECT_QUEUE_URL"),
        collect_queue_arn=env.get("COLLECT_QUEUE_ARN"),
        collect_schedule_group=env.get("COLLECT_SCHEDULE_GROUP"),
        collect_scheduler_role_arn=env.get("COLLECT_SCHEDULER_ROLE_ARN"),
        collect_every_minutes=_int("COLLECT_EVERY_MINUTES", 2),
        user_pool_id=env.get("USER_POOL_ID"),
    )
