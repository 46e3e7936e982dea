"""Circulation: the fan-out of one publication to 10,000 followers, and the delivery worker's rate.

Both on moto built from ``template.yaml`` (``local.provision.provision`` inside ``moto.mock_aws()``),
through the real handlers, called as Lambda would call them: ``tests.support.api.ApiClient.invoke``
applies the function's own environment from the provisioned stack and passes a fake Lambda context.

**Fan-out.** Setup (not timed): a public event, a member ("bob") with a ready personal pack, published
through ``publishing.publish`` (the publication and its counters), 10,000 followers of bob, a tenth of
them (chosen at random, seeded) with an active webhook channel made by ``channels.create`` (sealed
with the real KMS key on moto). The first 100 follows go through ``DynamoCirculationRepo.follow``, the
rest are the same ``FollowItem`` rows written with ``batch_write`` (the follower counters are not read
by the fan-out). The ``PackPublished`` message is derived from the stored publication by the stream
router's own code (``data.stream.image`` + ``domain_events.derive``), put on the bus, routed by the
template's rule to the fan-out queue, received and handed to ``functions.fanout_worker.app`` as
Lambda's SQS event. Timed: that one invocation. Measured: wall time, SendMessageBatch calls (botocore
``before-call`` hooks, checked against ``DeliveryQueue.calls``), DynamoDB calls by operation, time
inside AWS calls (botocore + moto, from ``before-call`` to ``after-call``), the process's max RSS before
and after. Then the same message once more (a redelivery after the fan-out finished: must enqueue
nothing), and a last run under ``tracemalloc`` for the peak of traced Python memory, after setting the
publication back to ``fanning-out`` as a fan-out that died half-way leaves it (so that the message is
handled in full again). Verified after each full run: the delivery queue holds exactly one message per
(recipient, channel), counted with ``ApproximateNumberOfMessages`` and checked body by body against
the seed; the publication's status and counts.

**Deliveries.** 2,000 jobs, inbox and webhook half and half (the first 1,000 webhook followers, both
of their jobs, in the fan-out's order), as SQS records in batches of 10 (bodies exactly as
``DeliveryQueue`` sends them), through ``functions.delivery_worker.app.lambda_handler`` with
``transports()`` replaced: the real KMS sealer, a webhook ``send`` that answers 204 at once and a mailer
stub. Verified: no failed record; every delivery record ``sent`` after one attempt; one inbox entry per
recipient (a Query each); the stub called once per webhook job, signed with that channel's secret; the
publication's counters. Then the same records again (a redelivery): timed, and verified to change
nothing.

moto is in-process and is the bottleneck. Three of its costs grow with the table or the queue where
AWS's do not, and would make the run take hours; the harness removes them without changing what moto
answers (``_cheaper_moto_transactions``, ``_cheaper_moto_sends``, ``_cheaper_moto_queries``), and
undoes its patches when it is done.

Budgets: SendMessageBatch calls == ceil(deliveries / 10); peak traced memory of the fan-out < 64 MiB;
every verification. Exit status 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import gc
import importlib
import json
import math
import os
import random
import resource
import sys
import time
import tracemalloc
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RESULTS_DIR,
    ROOT,
    add_json_option,
    finish,
    machine,
    rounded,
    use_project_paths,
    write_report,
)
from tests.support.offline import offline_aws_env

SQS_BATCH = 10
MEMORY_BUDGET = 64 * 2**20
FANOUT = "FanoutWorkerFunction"
DELIVERY = "DeliveryWorkerFunction"
WEBHOOK_URL = "https://93.184.215.14/hooks/backchannel"  # a public literal address: no DNS, no traffic


def _env() -> None:
    # The harness empties the delivery queue between runs, sooner than SQS's 60 s would allow.
    offline_aws_env(MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR="false")


# ---------------------------------------------------------------------------------------------------
# counting AWS calls
# ---------------------------------------------------------------------------------------------------
class Calls:
    """Every AWS call of every client, by (service, operation), and the time spent inside them.

    Registered through ``botocore.session.Session.create_client`` (as ``ddb_calls.py`` does), so the
    clients of PynamoDB, boto3 and Powertools are all counted. ``before-call`` fires once per API call
    before retries and before moto answers; the time to ``after-call`` is botocore + moto."""

    def __init__(self) -> None:
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self.times: collections.Counter[tuple[str, str]] = collections.Counter()  # seconds

    def install(self) -> Callable[[], None]:
        import botocore.session

        original = botocore.session.Session.create_client
        calls = self

        def create_client(session, service_name, *args, **kwargs):
            client = original(session, service_name, *args, **kwargs)
            client.meta.events.register("before-call", calls._before)
            client.meta.events.register("after-call", calls._after)
            return client

        botocore.session.Session.create_client = create_client
        return lambda: setattr(botocore.session.Session, "create_client", original)

    def _before(self, event_name: str, context: dict | None = None, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.counts[(service, operation)] += 1
        if context is not None:
            context["bench_started"] = time.perf_counter()

    def _after(self, event_name: str, context: dict | None = None, **_: Any) -> None:
        started = (context or {}).pop("bench_started", None)
        if started is not None:
            _, service, operation = event_name.split(".", 2)
            self.times[(service, operation)] += time.perf_counter() - started

    def snapshot(self) -> tuple[collections.Counter, collections.Counter]:
        return collections.Counter(self.counts), collections.Counter(self.times)

    def since(self, mark: tuple[collections.Counter, collections.Counter]):
        """(calls, seconds) by (service, operation) since ``mark``."""
        counts, times = collections.Counter(self.counts), collections.Counter(self.times)
        counts.subtract(mark[0])
        times.subtract(mark[1])
        return +counts, +times


def _cheaper_moto_transactions() -> Callable[[], None]:
    """moto backs up every TransactWriteItems by deep-copying the whole table (items, indexes and the
    stream's records) once per action, so one transaction costs O(table size): 2 s for one channel
    at 10,000 items on this machine, against milliseconds on DynamoDB. Back up only the items the
    transaction touches (all that its rollback needs) and restore those on failure; the whole-table
    copy is made free for the duration of the call. Only difference: the stream keeps the records of
    a rolled-back transaction's writes (nothing here reads the stream)."""
    import copy

    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "bench_patched", False):
        return lambda: None

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            op = next(iter(entry.values()))
            table = self.tables.get(op.get("TableName"))
            source = op.get("Key") or op.get("Item") or {}
            if table is None or table.hash_key_attr not in source:
                continue
            hash_key = DynamoType(source[table.hash_key_attr])
            range_key = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in source:
                    continue
                range_key = DynamoType(source[table.range_key_attr])
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        Table.__deepcopy__ = lambda table, memo: table
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if range_key is None:
                    if item is None:
                        table.items.pop(hash_key, None)
                    else:
                        table.items[hash_key] = item
                elif item is None:
                    table.items.get(hash_key, {}).pop(range_key, None)
                else:
                    table.items[hash_key][range_key] = item
            raise
        finally:
            del Table.__deepcopy__

    transact_write_items.bench_patched = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items
    return lambda: setattr(DynamoDBBackend, "transact_write_items", original)


def _cheaper_moto_sends() -> Callable[[], None]:
    """moto's SendMessage reads ``queue.attributes`` to find ``ContentBasedDeduplication``, and that
    property counts every message of the queue three times (visible, delayed, in flight): O(queue) per
    message sent, so O(n²) for a fan-out (~10 ms a message at 1,000 queued, and growing). While a
    message is sent, the three counts read as 0 instead (nothing on that path uses them); they are
    computed as usual everywhere else (``GetQueueAttributes`` in the checks)."""
    from moto.sqs.models import Queue, SQSBackend

    original = SQSBackend.send_message
    if getattr(original, "bench_patched", False):
        return lambda: None
    names = (
        "approximate_number_of_messages",
        "approximate_number_of_messages_delayed",
        "approximate_number_of_messages_not_visible",
    )
    counts = {name: Queue.__dict__[name] for name in names}

    def send_message(self, *args, **kwargs):
        for name in names:
            setattr(Queue, name, 0)
        try:
            return original(self, *args, **kwargs)
        finally:
            for name, prop in counts.items():
                setattr(Queue, name, prop)

    send_message.bench_patched = True  # type: ignore[attr-defined]
    SQSBackend.send_message = send_message
    return lambda: setattr(SQSBackend, "send_message", original)


def _cheaper_moto_queries() -> Callable[[], None]:
    """moto answers a Query on the table's own key by listing and sorting every item of the table
    (``Table.all_items``) and keeping those of the partition: O(table) per Query, where DynamoDB reads
    one partition. Here such a Query lists its partition only; what it returns is unchanged. Queries
    on an index still scan the whole table (the fan-out's pages of followers pay for it)."""
    from moto.dynamodb.models.table import Table

    original = Table.query
    if getattr(original, "bench_patched", False):
        return lambda: None

    def query(self, hash_key, *args, **kwargs):
        # index_name is the 8th parameter; moto's backend passes it by position.
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None or self.range_key_attr is None:
            return original(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key) or {}
        self.all_items = lambda: list(partition.values())
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query.bench_patched = True  # type: ignore[attr-defined]
    Table.query = query
    return lambda: setattr(Table, "query", original)


# ---------------------------------------------------------------------------------------------------
# setup
# ---------------------------------------------------------------------------------------------------
@dataclass
class World:
    stack: Any
    api: Any
    event_id: str
    bob: str
    pack_id: str
    version: int
    followers: list[str]  # in the order the fan-out reads them (gsi1: by follower id)
    hooks: dict[str, tuple[str, str, str]]  # follower -> (channel id, signing secret, URL)
    seconds: dict[str, float] = field(default_factory=dict)


def _need(condition: object, what: str) -> None:
    if not condition:
        raise SystemExit(f"circulation benchmark setup failed: {what}")


def _member_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))  # like a Cognito sub


def seed(stack, api, followers: int, webhook_share: float, rng: random.Random) -> World:
    from backchannel.circulation import channels, publishing
    from backchannel.circulation.dynamo import DynamoCirculationRepo
    from backchannel.circulation.dynamo.items import FollowItem
    from backchannel.circulation.model import Follow
    from backchannel.circulation.transports import outbound
    from backchannel.circulation.transports.sealing import Sealer
    from backchannel.conference.dynamo import DynamoConferenceRepo
    from backchannel.conference.model import Event, Member, Membership
    from backchannel.core import config, request_scope
    from backchannel.core.ids import new_ulid
    from backchannel.core.model import Caller, iso
    from backchannel.packs.dynamo import DynamoPacksRepo
    from backchannel.packs.model import Artifact, Pack, Target

    env = stack.functions[DELIVERY].environment
    os.environ.update(DATA_TABLE_NAME=env["DATA_TABLE_NAME"], CIRCULATION_KEY_ID=env["CIRCULATION_KEY_ID"])
    config.reset()
    request_scope.begin()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    store, repo, packs = DynamoConferenceRepo(), DynamoCirculationRepo(), DynamoPacksRepo()
    now = iso(dt.datetime.now(dt.UTC))
    start = dt.date.today() + dt.timedelta(days=10)
    olga, bob = _member_id(rng), _member_id(rng)
    event = Event(new_ulid(), "Bench Conf", "BENCHCIRC", start, start, "UTC", "public", olga, now, now)
    store.create_event(event, Membership(event.id, olga, {"organiser"}, now))
    store.create_member_if_absent(Member(olga, "Olga", now, now))
    store.create_member_if_absent(Member(bob, "Bob", now, now))

    pack = Pack(new_ulid(), Target("personal", event.id, event.id, bob), "queued", 1, now, now, bob)
    _need(packs.create(pack), "the pack could not be created")
    _need(packs.start(pack.id, 1, now=now, stale_before=now), "the pack's build could not start")
    artifact = Artifact("html", "text/html", f"packs/{pack.id}/1/pack.html", 48_000, "0" * 64)
    _need(packs.finish(pack.id, 1, {"html": artifact}, "bench-packs", now=now) == "ready", "pack not ready")
    pub, created = publishing.publish(store, packs, repo, Caller(bob, "bob"), pack.id)
    _need(created and pub.version == 1, f"publication: {pub}")

    ids = sorted({_member_id(rng) for _ in range(followers)})
    while len(ids) < followers:  # a collision in 128 random bits: never, but be exact
        ids = sorted({*ids, _member_id(rng)})
    with_hooks = set(rng.sample(ids, round(followers * webhook_share)))
    timings["event, member, pack, publication"] = time.perf_counter() - started

    started = time.perf_counter()
    sealer = Sealer(env["CIRCULATION_KEY_ID"])
    hooks: dict[str, tuple[str, str, str]] = {}
    for n, member in enumerate(sorted(with_hooks)):
        url = f"{WEBHOOK_URL}/{n}"
        made = channels.create(
            repo,
            sealer,
            Caller(member),
            {"type": "webhook", "url": url},
            check_url=lambda url: outbound.check_url(url),
            normalise_instance=lambda url: url,
            check_token=lambda url, token: None,  # webhooks only: no Mastodon token to check
            code_mac=lambda message: message,  # webhooks only: no verification code to key
            public_url="https://bench.invalid",
        )
        hooks[member] = (made["id"], made["secret"], url)
    timings[f"{len(hooks):,} webhook channels (channels.create, KMS)"] = time.perf_counter() - started

    started = time.perf_counter()
    real = ids[:100]
    for member in real:  # the real write path, for the first hundred
        _need(repo.follow(Follow(member, "member", bob, now)), "a follow existed already")
    with FollowItem.batch_write() as batch:  # the same rows as follow() writes, without the counters
        for member in ids[100:]:
            batch.save(
                FollowItem(
                    pk=f"MEMBER#{member}",
                    sk=f"FOLLOW#member#{bob}",
                    gsi1pk=f"FOLLOWERS#member#{bob}",
                    gsi1sk=member,
                    follower_id=member,
                    target_type="member",
                    target_id=bob,
                    created_at=now,
                )
            )
    timings[f"{followers:,} follows (100 follow(), the rest batch_write)"] = time.perf_counter() - started
    return World(stack, api, event.id, bob, pack.id, pub.version, ids, hooks, timings)


def fanout_event(world: World) -> dict:
    """The PackPublished of the stored publication, as the stream router derives it, put on the bus
    and routed to the fan-out queue by the template's rule; received as Lambda's SQS event."""
    import boto3

    from backchannel.messaging import stream
    from backchannel.messaging.bus import entry
    from backchannel.messaging.domain_events import derive
    from local.pumps_events import eventbridge_event, sqs_record

    stack = world.stack
    raw = stack.client("dynamodb").get_item(
        TableName=stack.physical_id("DataTable"),
        Key={"pk": {"S": f"PACK#{world.pack_id}"}, "sk": {"S": f"CIRC#{world.version:06d}"}},
    )["Item"]
    at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    (published,) = derive(None, stream.image(raw), record_id=f"bench-{uuid.uuid4()}", at=at)
    _need(published.detail_type == "PackPublished", f"derived {published}")
    answer = stack.client("events").put_events(Entries=[entry(published, stack.physical_id("EventBus"))])
    _need(answer["FailedEntryCount"] == 0, f"put_events: {answer}")
    sqs = stack.client("sqs")
    queue_url = stack.physical_id("FanoutQueue")
    got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, AttributeNames=["All"])
    (message,) = got["Messages"]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    account = boto3.client("sts", region_name=stack.region).get_caller_identity()["Account"]
    message["Body"] = json.dumps(eventbridge_event(message["Body"], account=account, region=stack.region))
    arn = stack.attribute("FanoutQueue", "Arn")
    return {"Records": [sqs_record(message, queue_arn=arn, region=stack.region)]}


# ---------------------------------------------------------------------------------------------------
# the fan-out
# ---------------------------------------------------------------------------------------------------
@dataclass
class FanoutResult:
    deliveries: int
    inbox: int
    webhook: int
    seconds: float
    times: collections.Counter  # seconds inside AWS calls by (service, operation)
    calls: collections.Counter
    queue_calls: int  # DeliveryQueue.calls
    rss_before: tuple[int, int]  # (max RSS, current RSS) in bytes
    rss_after: tuple[int, int]
    peak: int = 0
    retained: int = 0
    traced_seconds: float = 0.0
    chunked_floor: int = 0
    partial_chunks: int = 0
    redelivered_calls: collections.Counter = field(default_factory=collections.Counter)
    problems: list[str] = field(default_factory=list)


def _rss() -> tuple[int, int]:
    """(max RSS, current RSS) of this process. The max is a high-water mark: when something earlier
    in the process (setup, or another benchmark under ``make bench``) went higher, it does not move."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    try:
        current = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        current = 0
    return peak, current


def _invoke(world: World, logical_id: str, event: dict) -> Any:
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Powertools: "No application metrics to publish"
        return world.api.invoke(logical_id, event)


def _queue_messages(world: World) -> list[dict]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    name = world.stack.physical_id("DeliveryQueue").rsplit("/", 1)[-1]
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][world.stack.region].queues[name]
    return [json.loads(m.body) for m in queue._messages]


def _check_queue(world: World, expected: collections.Counter) -> list[str]:
    """ApproximateNumberOfMessages, then every body against the expected (recipient, channel) jobs."""
    sqs = world.stack.client("sqs")
    url = world.stack.physical_id("DeliveryQueue")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    count = int(attrs["Attributes"]["ApproximateNumberOfMessages"])
    problems = []
    total = sum(expected.values())
    if count != total:
        problems.append(f"the delivery queue holds {count:,} messages, expected {total:,}")
    found = collections.Counter(
        (b["packId"], b["version"], b["recipientId"], b["channelId"], b["channelType"], b["kind"])
        for b in _queue_messages(world)
    )
    if found != expected:
        missing, extra = expected - found, found - expected
        problems.append(f"queued jobs differ from the followers': {len(missing)} missing, {len(extra)} extra")
    return problems


def _expected_jobs(world: World) -> collections.Counter:
    jobs: collections.Counter = collections.Counter()
    for member in world.followers:
        jobs[(world.pack_id, world.version, member, "inbox", "inbox", "publish")] += 1
        if member in world.hooks:
            jobs[(world.pack_id, world.version, member, world.hooks[member][0], "webhook", "publish")] += 1
    return jobs


def _purge(world: World) -> None:
    world.stack.client("sqs").purge_queue(QueueUrl=world.stack.physical_id("DeliveryQueue"))


def measure_fanout(world: World, calls: Calls) -> FanoutResult:
    from backchannel.circulation import publishing

    # Imported before the clock starts: Lambda's init is not part of an invocation.
    fanout_app = importlib.import_module("functions.fanout_worker.app")
    event = fanout_event(world)
    expected = _expected_jobs(world)
    webhooks = sum(1 for member in world.followers if member in world.hooks)

    # Run 1: wall time, calls, RSS.
    gc.collect()
    rss_before = _rss()
    mark = calls.snapshot()
    started = time.perf_counter()
    answer = _invoke(world, FANOUT, event)
    seconds = time.perf_counter() - started
    counts, times = calls.since(mark)
    rss_after = _rss()
    queue_calls = fanout_app.queue().calls
    result = FanoutResult(
        deliveries=sum(expected.values()),
        inbox=len(world.followers),
        webhook=webhooks,
        seconds=seconds,
        times=times,
        calls=counts,
        queue_calls=queue_calls,
        rss_before=rss_before,
        rss_after=rss_after,
    )
    if answer.get("batchItemFailures"):
        result.problems.append(f"the fan-out record failed: {answer}")
    result.problems += _check_queue(world, expected)
    pub = fanout_app.repo().get_publication(world.pack_id, world.version)
    if pub is None or (pub.status, pub.recipients, pub.deliveries) != (
        "enqueued",
        len(world.followers),
        result.deliveries,
    ):
        result.problems.append(f"the publication says {pub}")
    if queue_calls != counts[("sqs", "SendMessageBatch")]:
        result.problems.append(
            f"DeliveryQueue.calls = {queue_calls}, botocore saw {counts[('sqs', 'SendMessageBatch')]}"
        )

    # What the current code's chunking allows: one partial batch per chunk of recipients whose jobs
    # are not a multiple of 10.
    per_chunk = [
        sum(1 + (member in world.hooks) for member in world.followers[i : i + publishing.CHUNK])
        for i in range(0, len(world.followers), publishing.CHUNK)
    ]
    result.chunked_floor = sum(math.ceil(n / SQS_BATCH) for n in per_chunk)
    result.partial_chunks = sum(1 for n in per_chunk if n % SQS_BATCH)

    # The same message again, after the fan-out finished (a redelivery): it must enqueue nothing.
    _purge(world)
    mark = calls.snapshot()
    answer = _invoke(world, FANOUT, event)
    result.redelivered_calls = calls.since(mark)[0]
    if answer.get("batchItemFailures"):
        result.problems.append(f"the redelivered fan-out record failed: {answer}")
    if result.redelivered_calls[("sqs", "SendMessageBatch")] or _queue_messages(world):
        result.problems.append("a redelivered PackPublished enqueued deliveries again")

    # Run 2, under tracemalloc: the publication is set back to "fanning-out", as a fan-out that died
    # half-way leaves it, so that the same message is handled in full again (into an empty queue).
    repo = fanout_app.repo()
    pub = repo.get_publication(world.pack_id, world.version)
    pub.status, pub.recipients, pub.deliveries, pub.by_channel = "fanning-out", 0, 0, {}
    repo.update_publication(pub, now=pub.published_at)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    answer = _invoke(world, FANOUT, event)
    result.traced_seconds = time.perf_counter() - started
    result.retained, result.peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if answer.get("batchItemFailures"):
        result.problems.append(f"the traced fan-out record failed: {answer}")
    result.problems += [f"traced run: {p}" for p in _check_queue(world, expected)]
    _purge(world)
    return result


# ---------------------------------------------------------------------------------------------------
# deliveries
# ---------------------------------------------------------------------------------------------------
class StubSend:
    """``outbound.send`` answering 204 at once; records what it was asked to send."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

    def __call__(self, method: str, url: str, *, headers: dict[str, str], body: bytes | None = None, **_):
        from backchannel.circulation.transports import outbound

        self.requests.append((url, headers, body or b""))
        return outbound.Response(204, {}, b"")


class StubMailer:
    def __init__(self) -> None:
        self.sent = 0

    def send(self, *, sender: str, to: str, raw: bytes) -> str:
        self.sent += 1
        return f"stub-{self.sent}"


@dataclass
class DeliveryResult:
    jobs: int
    recipients: int
    seconds: float
    times: collections.Counter
    calls: collections.Counter
    again_seconds: float = 0.0
    again_times: collections.Counter = field(default_factory=collections.Counter)
    again_calls: collections.Counter = field(default_factory=collections.Counter)
    problems: list[str] = field(default_factory=list)


def _records(world: World, recipients: list[str]) -> list[dict]:
    """The jobs the fan-out enqueued for ``recipients`` (inbox, then webhook), as Lambda's SQS records."""
    import hashlib

    from backchannel.circulation.model import Job

    arn = world.stack.attribute("DeliveryQueue", "Arn")
    sent_at = str(int(time.time() * 1000))
    records = []
    for member in recipients:
        for channel_id, kind in (("inbox", "inbox"), (world.hooks[member][0], "webhook")):
            job = Job(world.pack_id, world.version, member, channel_id, kind)
            body = json.dumps(job.to_message(), separators=(",", ":"))  # as DeliveryQueue sends it
            records.append(
                {
                    "messageId": str(uuid.uuid4()),
                    "receiptHandle": uuid.uuid4().hex,
                    "body": body,
                    "attributes": {
                        "ApproximateReceiveCount": "1",
                        "SentTimestamp": sent_at,
                        "SenderId": "AIDAEXAMPLE",
                        "ApproximateFirstReceiveTimestamp": sent_at,
                    },
                    "messageAttributes": {},
                    "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 (SQS's checksum)
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": world.stack.region,
                }
            )
    return records


def _check_deliveries(world: World, recipients: list[str], stub: StubSend, mailer: StubMailer) -> list[str]:
    from backchannel.circulation.dynamo import DynamoCirculationRepo
    from backchannel.circulation.dynamo.items import DeliveryItem
    from backchannel.circulation.model import Job
    from backchannel.circulation.transports import webhooks

    problems = []
    repo = DynamoCirculationRepo()
    jobs = [
        Job(world.pack_id, world.version, m, channel_id, kind)
        for m in recipients
        for channel_id, kind in (("inbox", "inbox"), (world.hooks[m][0], "webhook"))
    ]
    keys = [(f"DELIVERY#{j.pack_id}#{j.version}#{j.recipient_id}", f"{j.kind}#{j.channel_id}") for j in jobs]
    found = {}
    for start in range(0, len(keys), 100):
        for item in DeliveryItem.batch_get(keys[start : start + 100]):
            found[(item.pk, item.sk)] = item
    states = collections.Counter(
        (found[k].status, int(found[k].attempts)) if k in found else ("missing", 0) for k in keys
    )
    if states != {("sent", 1): len(keys)}:
        problems.append(f"delivery records: {dict(states)} (expected {len(keys)} sent after 1 attempt)")

    inbox = collections.Counter()
    for member in recipients:
        page = repo.inbox(member, 10, None)
        ours = [e for e in page.items if (e.pack_id, e.version) == (world.pack_id, world.version)]
        inbox[len(ours)] += 1
    if inbox != {1: len(recipients)}:
        problems.append(f"inbox entries per recipient: {dict(inbox)} (expected 1 each)")

    sent = collections.Counter(headers["webhook-id"] for _, headers, _ in stub.requests)
    expected = {j.id for j in jobs if j.channel_type == "webhook"}
    if set(sent) != expected or any(n != 1 for n in sent.values()):
        problems.append(
            f"webhook sends: {sum(sent.values())} for {len(expected)} jobs, "
            f"{sum(1 for n in sent.values() if n > 1)} sent more than once"
        )
    secrets = {url: secret for _, secret, url in world.hooks.values()}
    unsigned = sum(
        1
        for url, headers, body in stub.requests
        if url not in secrets
        or not webhooks.verify(secrets[url], headers, body)
        or json.loads(body)["data"]["packId"] != world.pack_id
    )
    if unsigned:
        problems.append(
            f"{unsigned} webhook requests not for this pack or not signed with its channel's secret"
        )
    if mailer.sent:
        problems.append(f"the mailer was called {mailer.sent} times (no email channels)")

    counts = {}
    for pub, totals in repo.publications(world.pack_id):
        if pub.version == world.version:
            counts = totals
    want = {"inbox#sent": len(recipients), "webhook#sent": len(recipients)}
    if counts != want:
        problems.append(f"publication counters {counts}, expected {want}")
    return problems


def measure_deliveries(world: World, calls: Calls, jobs: int) -> DeliveryResult:
    from backchannel.core import request_scope

    delivery_app = importlib.import_module("functions.delivery_worker.app")
    recipients = [m for m in world.followers if m in world.hooks][: jobs // 2]
    if len(recipients) * 2 != jobs:
        raise SystemExit(f"--jobs {jobs}: needs {jobs // 2} webhook followers, there are {len(world.hooks)}")
    records = _records(world, recipients)
    batches = [records[i : i + SQS_BATCH] for i in range(0, len(records), SQS_BATCH)]

    stub, mailer = StubSend(), StubMailer()
    real = delivery_app.transports
    delivery_app.transports = lambda: replace(real(), send=stub, mailer=mailer)
    try:
        failed: list = []
        gc.collect()
        mark = calls.snapshot()
        started = time.perf_counter()
        for batch in batches:
            failed += _invoke(world, DELIVERY, {"Records": batch}).get("batchItemFailures") or []
        seconds = time.perf_counter() - started
        counts, times = calls.since(mark)
        result = DeliveryResult(jobs, len(recipients), seconds, times, counts)
        if failed:
            result.problems.append(f"{len(failed)} records failed")
        request_scope.begin()
        result.problems += _check_deliveries(world, recipients, stub, mailer)

        sends = len(stub.requests)
        failed = []
        mark = calls.snapshot()
        started = time.perf_counter()
        for batch in batches:
            failed += _invoke(world, DELIVERY, {"Records": batch}).get("batchItemFailures") or []
        result.again_seconds = time.perf_counter() - started
        result.again_calls, result.again_times = calls.since(mark)
        if failed:
            result.problems.append(f"redelivery: {len(failed)} records failed")
        if len(stub.requests) != sends:
            result.problems.append(f"redelivery: {len(stub.requests) - sends} webhooks sent again")
        request_scope.begin()
        result.problems += [f"redelivery: {p}" for p in _check_deliveries(world, recipients, stub, mailer)]
    finally:
        delivery_app.transports = real
    return result


# ---------------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------------
def _mib(n: float) -> str:
    return f"{n / 2**20:,.1f}"


def _total(counts: collections.Counter, service: str | None = None) -> float:
    return sum(n for (svc, _), n in counts.items() if service in (None, svc))


def _breakdown(counts: collections.Counter, times: collections.Counter, per: int = 1) -> str:
    """``Operation calls (seconds inside them)``, the costliest first; per job when ``per`` > 1."""
    found = sorted(counts, key=lambda k: -times[k])
    if per == 1:
        return ", ".join(f"{op} {counts[(svc, op)]:,} ({times[(svc, op)]:.2f} s)" for svc, op in found)
    return ", ".join(
        f"{op} {counts[(svc, op)] / per:.2f} ({1000 * times[(svc, op)] / per:.1f} ms)" for svc, op in found
    )


def report(world: World, fan: FanoutResult, dlv: DeliveryResult, setup_s: float) -> tuple[str, int]:
    import moto

    sqs_calls = fan.calls[("sqs", "SendMessageBatch")]
    floor = math.ceil(fan.deliveries / SQS_BATCH)
    over = [
        what
        for what, bad in (
            ("SQS calls", sqs_calls != floor),
            (f"memory ≥ {_mib(MEMORY_BUDGET)} MiB", fan.peak >= MEMORY_BUDGET),
            ("verification", fan.problems),
        )
        if bad
    ]
    fan_verdict = "FAIL: " + ", ".join(over) if over else "PASS"
    dlv_verdict = "FAIL: verification" if dlv.problems else "PASS"
    aws = _total(fan.times)
    setup = "; ".join(f"{what} {s:.1f} s" for what, s in world.seconds.items())
    lines = [
        "# Circulation",
        "",
        f"Machine: {machine()}; moto {moto.__version__} in-process, built from `template.yaml` "
        f"(setup {setup_s:.0f} s: {setup}).",
        "",
        f"## Fan-out of one publication to {len(world.followers):,} followers",
        "",
        "| followers | with a webhook | deliveries | SendMessageBatch calls | floor ⌈deliveries/10⌉ | wall s "
        "| deliveries/s | of which in AWS calls s | peak traced MiB (budget < 64) | max RSS before → after MiB "
        "| RSS before → after MiB | verdict |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
        f"| {len(world.followers):,} | {fan.webhook:,} | {fan.deliveries:,} | {sqs_calls:,} | {floor:,} "
        f"| {fan.seconds:.2f} | {fan.deliveries / fan.seconds:,.0f} | {aws:.2f} | {_mib(fan.peak)} "
        f"| {_mib(fan.rss_before[0])} → {_mib(fan.rss_after[0])} "
        f"| {_mib(fan.rss_before[1])} → {_mib(fan.rss_after[1])} | {fan_verdict} |",
        "",
        f"- Deliveries: {fan.inbox:,} inbox + {fan.webhook:,} webhook. Verified: the delivery queue held "
        "exactly those messages after each run (ApproximateNumberOfMessages, and every body against the "
        "seeded followers and channels); the publication says `enqueued` with those counts; the same "
        "message redelivered after the fan-out finished enqueued nothing "
        f"({_total(fan.redelivered_calls, 'dynamodb'):.0f} DynamoDB call, "
        f"{_total(fan.redelivered_calls, 'sqs'):.0f} SQS calls)."
        if not fan.problems
        else "- **Verification failed**: " + "; ".join(fan.problems),
        f"- AWS calls: {_breakdown(fan.calls, fan.times)}; `DeliveryQueue.calls` = {fan.queue_calls:,}. "
        f"Outside them (the worker's own Python, PynamoDB, JSON): {fan.seconds - aws:.2f} s.",
        f"- Peak traced memory {_mib(fan.peak)} MiB, of which {_mib(fan.retained)} MiB was still held after "
        f"the handler returned (moto's copy of the {fan.deliveries:,} enqueued messages, mostly); the traced "
        "run took "
        f"{fan.traced_seconds:.1f} s.",
    ]
    if sqs_calls != floor:
        lines.append(
            f"- SendMessageBatch calls over the floor: {sqs_calls - floor:+,}. `fan_out` hands each chunk of "
            "100 recipients' jobs (`publishing.CHUNK`) to `DeliveryQueue.send` on its own, which batches "
            f"them by 10 within the chunk: {fan.partial_chunks} of {math.ceil(len(world.followers) / 100)} "
            "chunks have a job count that is not a multiple of 10 and end in a partial batch. With that "
            f"chunking the least possible is {fan.chunked_floor:,} calls."
        )
    lines += [
        "",
        f"## Delivery worker, transport stubbed ({dlv.jobs:,} jobs: {dlv.recipients:,} inbox + "
        f"{dlv.recipients:,} webhook, SQS records in batches of {SQS_BATCH})",
        "",
        "| pass | jobs | wall s | jobs per second | ms per job | of which in AWS calls s "
        "| DynamoDB calls per job | KMS calls per job | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows = [
        ("delivered", dlv.seconds, dlv.times, dlv.calls),
        ("redelivered (no-op)", dlv.again_seconds, dlv.again_times, dlv.again_calls),
    ]
    for label, seconds, times, counts in rows:
        lines.append(
            f"| {label} | {dlv.jobs:,} | {seconds:.2f} | {dlv.jobs / seconds:,.0f} "
            f"| {1000 * seconds / dlv.jobs:.1f} | {_total(times):.2f} "
            f"| {_total(counts, 'dynamodb') / dlv.jobs:.2f} | {_total(counts, 'kms') / dlv.jobs:.2f} "
            f"| {dlv_verdict} |"
        )
    lines += [
        "",
        f"- Delivered, AWS calls per job: {_breakdown(dlv.calls, dlv.times, dlv.jobs)}.",
        f"- Redelivered, AWS calls per job: {_breakdown(dlv.again_calls, dlv.again_times, dlv.jobs)}.",
        "- Verified after each pass: no failed record; every delivery record `sent` after 1 attempt; one "
        "inbox entry per recipient (a Query each); the webhook stub called once per webhook job, signed "
        "with its channel's secret; the publication's counters; the redelivery sent nothing more."
        if not dlv.problems
        else "- **Verification failed**: " + "; ".join(dlv.problems),
        "",
        'moto runs in this process and is the bottleneck: "in AWS calls" is botocore + moto (request '
        "and response serialisation, expression parsing, and a scan of the whole table for every Query "
        "on an index).",
    ]
    return "\n".join(lines) + "\n", int(bool(over or dlv.problems))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks circulation")
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--webhook-share", type=float, default=0.10, help="followers with a webhook channel")
    parser.add_argument("--jobs", type=int, default=2_000, help="delivery jobs (half inbox, half webhook)")
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--out", default=str(RESULTS_DIR / "circulation.md"))
    add_json_option(parser)
    args = parser.parse_args(argv)
    use_project_paths()
    saved_env = dict(os.environ)
    _env()
    calls = Calls()
    with contextlib.ExitStack() as undo:  # nothing of this outlives the benchmark (make bench goes on)
        undo.callback(lambda: (os.environ.clear(), os.environ.update(saved_env)))
        for patch in (calls.install, _cheaper_moto_transactions, _cheaper_moto_sends, _cheaper_moto_queries):
            undo.callback(patch())
        from moto import mock_aws

        from local.provision import provision
        from tests.support.api import ApiClient

        began = time.perf_counter()
        with mock_aws():
            stack = provision(str(ROOT / "template.yaml"), endpoint_url=None)
            api = ApiClient(stack)
            try:
                world = seed(stack, api, args.followers, args.webhook_share, random.Random(args.seed))
                setup_s = time.perf_counter() - began
                fan = measure_fanout(world, calls)
                dlv = measure_deliveries(world, calls, args.jobs)
            finally:
                api.close()
    text, status = report(world, fan, dlv, setup_s)
    text += f"\nTotal run time {time.perf_counter() - began:.0f} s.\n"
    write_report(text, args.out)
    figures = {
        "benchmark": "circulation",
        "followers": len(world.followers),
        "deliveries": fan.deliveries,
        "send_message_batch_calls": fan.calls[("sqs", "SendMessageBatch")],
        "budget_send_message_batch_calls": math.ceil(fan.deliveries / SQS_BATCH),
        "fanout_s": rounded(fan.seconds, 2),
        "peak_traced_mib": rounded(fan.peak / 2**20, 1),
        "budget_peak_traced_mib": rounded(MEMORY_BUDGET / 2**20, 1),
        "delivery_jobs": dlv.jobs,
        "delivery_jobs_per_s": rounded(dlv.jobs / dlv.seconds, 1),
        "redelivery_jobs_per_s": rounded(dlv.jobs / dlv.again_seconds, 1),
        "problems": [*fan.problems, *dlv.problems],
        "pass": not status,
    }
    return finish(figures, as_json=args.json)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
