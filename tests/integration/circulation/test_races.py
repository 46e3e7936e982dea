"""Exactly once, under races: delivery workers that overlap on one delivery, a lease that runs out while
its worker still sends, a worker that dies between sending and recording, and a fan-out that dies
half-way. Each race is played out the same way on every run: a worker stops at a gate in its
transport (before the request leaves) or in its clock (after the effect, before the record), and the
test lets the other worker run meanwhile.

What happens when a lease runs out while its worker still sends (it cannot in production: the
worker's timeout, 30 s, is far below the lease, ``LEASE_S``): the next attempt claims the delivery
and sends it again, under the same delivery id (``webhook-id``, ``Idempotency-Key``), so a receiver
that deduplicates by it sees one delivery; the first worker's completion is refused (its claim was
replaced), so the record, the counters and the inbox entry are written once.

The deliveries run through :func:`delivery.deliver` itself, with the delivery worker's own repositories
and transports, on the moto stack; what is observed is what a recipient observes (the inbox through
the API, the requests a webhook receiver and a Mastodon instance got) and the publisher's counters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from backchannel.circulation import delivery
from backchannel.circulation.model import Job
from backchannel.core import request_scope
from backchannel.core.model import utcnow
from tests.support.circulation import WORKERS, follow, ready_personal_pack
from tests.support.mastodon import mastodon_server
from tests.support.races import Clock, Gate, Worker, WorkerDied, die, serialised_dynamodb

LEASE = dt.timedelta(seconds=delivery.LEASE_S)
CHANNELS = ("inbox", "webhook", "mastodon")


@dataclasses.dataclass
class DeliveryWorker:
    """The delivery worker's repositories and transports, built in its own environment."""

    repo: Any
    store: Any
    packs: Any
    out: delivery.Outbound

    def deliver(self, job: Job, at: Callable[[], dt.datetime], *, before_send=None, after_send=None) -> str:
        """One attempt at ``job``, reading the time from ``at``; ``before_send``/``after_send`` run
        around the webhook's or Mastodon's HTTP request."""
        send = self.out.send

        def transport(*args, **kwargs):
            if before_send:
                before_send()
            answer = send(*args, **kwargs)
            if after_send:
                after_send()
            return answer

        out = dataclasses.replace(self.out, send=transport)
        return delivery.deliver(
            self.repo, self.store, self.packs, out, job, attempt=1, max_attempts=5, base_s=1, cap_s=10, now=at
        )


@pytest.fixture
def worker(aws, monkeypatch, loopback) -> Callable[[], DeliveryWorker]:
    def make() -> DeliveryWorker:
        from backchannel.core import config
        from functions.delivery_worker import app

        for name, value in aws.functions["DeliveryWorkerFunction"].environment.items():
            monkeypatch.setenv(name, value)
        config.reset()
        request_scope.begin()
        return DeliveryWorker(app.repo(), app.store(), app.packs(), app.transports())

    return make


@pytest.fixture
def mastodon(loopback):
    with mastodon_server(tokens={"alice-token"}) as server:
        loopback.allow(server.url)
        yield server


@pytest.fixture(autouse=True)
def _atomic_requests(monkeypatch):
    serialised_dynamodb(monkeypatch)


def queued_jobs(aws) -> list[Job]:
    """Every delivery on the delivery queue (consumed)."""
    sqs, url = aws.client("sqs"), aws.physical_id("DeliveryQueue")
    jobs = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            body = json.loads(message["Body"])
            if "packId" in body:
                jobs.append(Job.from_message(body))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return jobs


@pytest.fixture
def published(api, aws, pumps, pumps_of, alice, bob, event, receiver, mastodon):
    """bob circulates his pack; alice follows him with an inbox, a webhook and a Mastodon account.
    The fan-out has run; alice's three deliveries wait on the queue: (pack, secret, jobs by channel)."""
    api.get("/me", as_=bob)
    follow(api, alice, "member", bob.sub)
    hook = api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=alice).json
    body = {"type": "mastodon", "instanceUrl": mastodon.url, "accessToken": "alice-token"}
    assert api.post("/me/channels", body, as_=alice).status == 201
    pack = ready_personal_pack(api, pumps, bob, event)
    assert api.post(f"/packs/{pack['id']}/publish", as_=bob).status == 202
    pumps_of(*WORKERS[:3]).drain()  # up to the fan-out: the deliveries are left on the queue
    jobs = {job.channel_type: job for job in queued_jobs(aws)}
    assert sorted(jobs) == sorted(CHANNELS)
    return pack, hook["secret"], jobs


def pause(job: Job, gate: Gate) -> dict:
    """Where the first worker stops: in its transport before the request leaves (webhook, Mastodon),
    in its clock after the effect and before the record (the inbox, whose effect is the record)."""
    if job.channel_type == "inbox":
        return {}
    return {"before_send": gate.stop}


def clock_of(job: Job, at: dt.datetime, gate_or_crash: Callable[[], None]) -> Clock:
    """The first worker's clock: its 2nd reading is for the record (the 1st is for the claim)."""
    return Clock(at, {2: gate_or_crash} if job.channel_type == "inbox" else {})


def held_first(w, job: Job, t0: dt.datetime) -> tuple[Worker, Gate]:
    """A first worker on ``job``, started and held at its pause (see :func:`pause`) until ``gate.open()``."""
    gate = Gate()
    first = Worker(lambda: w.deliver(job, clock_of(job, t0, gate.stop), **pause(job, gate)))
    first.start()
    gate.reached()
    return first, gate


def observed(api, alice, bob, pack, receiver, mastodon, secret, job_ids: dict[str, str]) -> None:
    """What alice and bob see: one inbox entry, one webhook delivery, one Mastodon status, each
    request under the delivery's id, and the publisher's counters at one sent per channel."""
    inbox = api.get("/me/inbox", as_=alice).json["items"]
    assert [(e["packId"], e["version"]) for e in inbox] == [(pack["id"], pack["readyVersion"])]
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {job_ids["webhook"]}
    assert len(receiver.delivered(secret)) == 1
    posts = [r for r in mastodon.requests if r.method == "POST"]
    assert {p.headers["idempotency-key"] for p in posts} == {job_ids["mastodon"]}
    assert len(mastodon.statuses) == 1
    summary = api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"][0]["byChannel"]
    for channel in CHANNELS:
        assert (summary[channel]["sent"], summary[channel]["queued"]) == (1, 0), (channel, summary)


def test_two_workers_on_one_delivery_send_it_once(api, alice, bob, published, worker, receiver, mastodon):
    """The queue hands the same delivery to a second worker while the first holds it: the second
    leaves it (to be retried after the lease) and nothing is sent twice."""
    pack, secret, jobs = published
    w = worker()
    t0 = utcnow()
    for channel, job in jobs.items():
        first, gate = held_first(w, job, t0)
        with pytest.raises(delivery.Retry) as retry:
            w.deliver(job, Clock(t0 + dt.timedelta(seconds=1)))
        assert retry.value.delay_s == delivery.LEASE_S, channel
        gate.open()
        assert first.outcome() == "sent", channel
        assert w.deliver(job, Clock(t0 + 2 * LEASE)) == "already sent", channel

    assert len(receiver.requests) == 1
    assert len([r for r in mastodon.requests if r.method == "POST"]) == 1
    observed(api, alice, bob, pack, receiver, mastodon, secret, {c: j.id for c, j in jobs.items()})


def test_a_lease_that_runs_out_while_its_worker_sends(api, alice, bob, published, worker, receiver, mastodon):
    """The second worker takes the delivery over and sends it again under the same id; the first one's
    record is refused: one delivery id at the receiver, one inbox entry, one count."""
    pack, secret, jobs = published
    w = worker()
    t0 = utcnow()
    for channel, job in jobs.items():
        first, gate = held_first(w, job, t0)
        assert w.deliver(job, Clock(t0 + LEASE + dt.timedelta(seconds=1))) == "sent", channel
        gate.open()
        assert first.outcome() == "claim lost", channel

    assert len(receiver.requests) == 2  # sent twice, under one webhook-id
    assert len([r for r in mastodon.requests if r.method == "POST"]) == 2  # one Idempotency-Key
    observed(api, alice, bob, pack, receiver, mastodon, secret, {c: j.id for c, j in jobs.items()})


def test_a_worker_that_dies_between_sending_and_recording(
    api, alice, bob, published, worker, receiver, mastodon
):
    """The effect happened, the record still says ``sending``: a redelivery within the lease waits;
    the one after it sends again under the same id, and records once."""
    pack, secret, jobs = published
    w = worker()
    t0 = utcnow()
    for channel, job in jobs.items():
        after = {} if channel == "inbox" else {"after_send": die}
        with pytest.raises(WorkerDied):
            w.deliver(job, clock_of(job, t0, die), **after)
        with pytest.raises(delivery.Retry):
            w.deliver(job, Clock(t0 + LEASE / 2))
        assert w.deliver(job, Clock(t0 + LEASE + dt.timedelta(seconds=1))) == "sent", channel
        assert w.repo.get_delivery(job).attempts == 2, channel

    assert len(receiver.requests) == 2  # the lost attempt's and the retry's, under one webhook-id
    assert len([r for r in mastodon.requests if r.method == "POST"]) == 2  # one Idempotency-Key
    observed(api, alice, bob, pack, receiver, mastodon, secret, {c: j.id for c, j in jobs.items()})


def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_record(
    api, bob, published, worker, receiver, mastodon
):
    """After the second worker took the delivery over, the first one's request fails: refused (the
    webhook answers 400), its ``failed`` is not recorded; transient (Mastodon answers 503), its
    ``retrying`` is not recorded. The second worker's ``sent`` is, once."""
    pack, _, jobs = published
    w = worker()
    t0 = utcnow()
    first_fails = {
        "webhook": lambda: receiver.answers.append(400),
        "mastodon": lambda: mastodon.fail_next(1, 503),
    }
    for channel, fail in first_fails.items():
        job = jobs[channel]
        first_gate, second_gate = Gate(), Gate()
        first = Worker(lambda j=job, g=first_gate: w.deliver(j, Clock(t0), before_send=g.stop))
        first.start()
        first_gate.reached()
        later = Clock(t0 + LEASE + dt.timedelta(seconds=1))
        second = Worker(lambda j=job, g=second_gate, c=later: w.deliver(j, c, before_send=g.stop))
        second.start()
        second_gate.reached()
        fail()
        first_gate.open()
        if channel == "webhook":
            assert first.outcome() == "failed"  # what its attempt came to: not recorded
        else:
            with pytest.raises(delivery.Retry):
                first.outcome()
        second_gate.open()
        assert second.outcome() == "sent", channel
        assert w.repo.get_delivery(job).status == "sent", channel

    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [jobs["webhook"].id] * 2
    assert len(mastodon.statuses) == 1
    summary = api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"][0]["byChannel"]
    for channel in first_fails:
        row = summary[channel]
        assert (row["sent"], row["failed"], row["queued"]) == (1, 0, 0), (channel, summary)


class DiesOnce:
    """The fan-out's queue, as if its worker died half-way once: the first time it is asked to send
    more than ``after`` deliveries it sends that many and dies; after that it sends everything."""

    def __init__(self, queue, after: int) -> None:
        self.queue, self.after = queue, after
        self.died = False
        self.sent: list[Job] = []

    def send(self, jobs: list[Job]) -> None:
        if not self.died and len(self.sent) + len(jobs) > self.after:
            self.died = True
            room = self.after - len(self.sent)
            self.queue.send(jobs[:room])
            self.sent += jobs[:room]
            die()
        self.queue.send(jobs)
        self.sent += jobs


def test_a_fan_out_that_dies_half_way_is_done_again_without_doubles_or_gaps(
    api, aws, pumps, alice, bob, event, receiver, monkeypatch
):
    """The fan-out worker dies after enqueuing 2 of 4 deliveries; SQS hands its message back and the
    fan-out starts over: the 2 already queued are on the queue twice, yet every recipient gets each
    delivery once, and none is missing."""
    from backchannel.circulation.queue import DeliveryQueue
    from functions.fanout_worker import app as fanout

    api.get("/me", as_=bob)
    followers = [alice, api.user("carol"), api.user("dave")]
    for member in followers:
        follow(api, member, "member", bob.sub)
    hook = api.post("/me/channels", {"type": "webhook", "url": receiver.url}, as_=alice).json
    pack = ready_personal_pack(api, pumps, bob, event)
    queue = DiesOnce(DeliveryQueue(aws.physical_id("DeliveryQueue")), after=2)
    monkeypatch.setattr(fanout, "queue", lambda: queue)
    assert api.post(f"/packs/{pack['id']}/publish", as_=bob).status == 202
    pumps.drain()

    assert queue.died and len(queue.sent) == 6  # 2 before it died, 4 after it started over
    for member in followers:
        inbox = api.get("/me/inbox", as_=member).json["items"]
        assert [(e["packId"], e["version"]) for e in inbox] == [(pack["id"], pack["readyVersion"])], member
    assert len(receiver.requests) == 1 and len(receiver.delivered(hook["secret"])) == 1
    summary = api.get(f"/packs/{pack['id']}/deliveries", as_=bob).json["publications"][0]
    assert (summary["status"], summary["recipients"], summary["deliveries"]) == ("enqueued", 3, 4)
    assert (summary["byChannel"]["inbox"]["sent"], summary["byChannel"]["inbox"]["queued"]) == (3, 0)
    assert (summary["byChannel"]["webhook"]["sent"], summary["byChannel"]["webhook"]["queued"]) == (1, 0)
