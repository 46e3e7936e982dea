"""One delivery: a pack version to one recipient on one channel (or its retraction), exactly once.

At-least-once queues deliver a job any number of times; the delivery record makes the effect happen
once:

1. **claim**: a conditional write takes the job for this attempt (only if nobody has, it waits for a
   retry, or an earlier claim's lease ran out because its worker died). A job already ``sent``,
   ``failed`` or ``skipped`` is acknowledged and nothing happens.
2. **effect**: the inbox entry is written in the same transaction that completes the record (atomic);
   email goes through SES; webhooks carry ``webhook-id`` = the delivery id and Mastodon statuses an
   ``Idempotency-Key`` = the delivery id, so a receiver that deduplicates sees one effect even if a
   worker dies between sending and recording.
3. **complete**: a conditional write on the claim records ``sent`` (or ``skipped``: the channel was
   deleted or unsubscribed, a block came in between, the pack is gone) and counts it.

A transient failure (timeout, 5xx, 429, throttling) records ``retrying`` and is retried after an
exponential back-off with full jitter; after the last attempt the record says ``failed`` and the
message goes to the dead-letter queue. A refusal (4xx, an address that became private) is ``failed``
at once. Pure: the repos, the transports and the clock are parameters.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from backchannel.circulation import channels
from backchannel.circulation.digests import send_digest
from backchannel.circulation.effects import Effect
from backchannel.circulation.links import pack_link
from backchannel.circulation.model import FINAL, INBOX, InboxEntry, Job
from backchannel.circulation.transports.send import (
    ChannelGone,
    Refused,
    Transient,
    send_mail,
    send_mastodon,
    send_webhook,
)
from backchannel.core import request_scope
from backchannel.core.ids import new_ulid
from backchannel.core.model import iso, utcnow
from backchannel.core.observability import logger

LEASE_S = 180  # longer than a delivery attempt can take (the worker's timeout is 30 s)


class Retry(Exception):
    """Try this job again in ``delay_s`` seconds."""

    def __init__(self, message: str, delay_s: int) -> None:
        super().__init__(message)
        self.delay_s = delay_s


class GiveUp(Exception):
    """The last attempt failed: the record says ``failed``; the message goes to the dead-letter queue."""


@dataclass
class Outbound:
    """The transports and their settings (production defaults are wired by the worker's handler)."""

    sealer: Any
    mailer: Any  # .send(sender=, to=, raw=) -> message id
    send: Callable[..., Any]  # outbound.send
    allow: tuple[str, ...]
    timeout_s: float
    public_url: str
    mail_from: str
    link_days: int = 30  # how long a pack link works (CIRCULATED_LINK_DAYS)
    mac: Callable[[str], str] | None = None  # keyed hash (KMS): each delivery's one link token


def backoff(attempt: int, *, base_s: int, cap_s: int, rand: Callable[[], float] = random.random) -> int:
    """Full jitter: uniform in [1, min(cap, base * 2^(attempt-1))] seconds."""
    ceiling = min(cap_s, base_s * 2 ** max(0, attempt - 1))
    return max(1, int(rand() * ceiling))


@dataclass(frozen=True)
class About:
    """What a message says about the pack, and whom its sender blocks."""

    title: str
    sender_name: str | None
    actor_id: str
    kind: str
    event_id: str
    actor_blocks: frozenset[str]
    revoked: bool = False


# One batch of jobs is mostly one pack version: its pack, publication, event, sender and the sender's
# blocks are read once per batch (the worker begins a request scope per invocation), not per job.
_abouts = request_scope.cache()


def about(store: Any, packs: Any, repo: Any, job: Job) -> About | None:
    key = (job.pack_id, job.version)
    if key not in _abouts:
        _abouts[key] = _read_about(store, packs, repo, job)
    return _abouts[key]


def _read_about(store: Any, packs: Any, repo: Any, job: Job) -> About | None:
    pack = packs.get(job.pack_id)
    pub = repo.get_publication(job.pack_id, job.version)
    if pack is None or pub is None:
        return None
    event = store.get_event(pack.target.event_id)
    actor_id = pub.owner_id or pub.published_by
    actor = store.get_member(actor_id)
    name = actor.display_name if actor else None
    event_name = event.name if event else "an event"
    if pack.target.kind == "session":
        session = store.get_session(pack.target.target_id)
        title = f"{session.title if session else 'A session'} ({event_name}): session pack"
    elif pack.target.kind == "event":
        title = f"{event_name}: event pack"
    else:
        title = f"{name or 'A member'}'s pack of {event_name}"
    blocks = frozenset(repo.blocked_by(actor_id))
    return About(
        title, name, actor_id, pack.target.kind, pack.target.event_id, blocks, revoked=bool(pub.revoked_at)
    )


def deliver(
    repo: Any,
    store: Any,
    packs: Any,
    out: Outbound,
    job: Job,
    *,
    attempt: int,
    max_attempts: int,
    base_s: int,
    cap_s: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> str:
    """Make one delivery; returns what happened (for the log). Raises :class:`Retry` or
    :class:`GiveUp` for the queue to act on."""
    at = now()
    delivery = repo.claim(
        job, claim=new_ulid(), now=iso(at), lease_until=iso(at + dt.timedelta(seconds=LEASE_S))
    )
    if delivery is None:
        existing = repo.get_delivery(job)
        if existing is not None and existing.status in FINAL:
            return f"already {existing.status}"
        raise Retry("another attempt holds this delivery", LEASE_S)
    try:
        done = send_digest(repo, out, job) if job.kind == "digest" else _effect(repo, store, packs, out, job)
    except ChannelGone as err:
        return _disable(repo, delivery, job, err, now=iso(now()))
    except Refused as err:
        repo.complete(delivery, "failed", now=iso(now()), error=str(err))
        logger.warning("delivery refused", extra={"delivery_id": job.id, "reason": str(err)})
        return "failed"
    except Transient as err:
        if attempt >= max_attempts:
            repo.complete(delivery, "failed", now=iso(now()), error=str(err))
            raise GiveUp(f"{job.id}: {err} (attempt {attempt} of {max_attempts})") from None
        repo.retry_later(delivery, error=str(err), now=iso(now()))
        raise Retry(str(err), backoff(attempt, base_s=base_s, cap_s=cap_s)) from None
    recorded = repo.complete(
        delivery,
        done.status,
        now=iso(now()),
        remote_id=done.remote_id,
        inbox=done.inbox,
        digest=done.digest,
        error=done.note,
    )
    if not recorded:
        return "claim lost"  # its lease ran out and another attempt took over: that one records
    if done.cleared:
        repo.clear_digest(job.channel_id, done.cleared, as_status=done.cleared_as)
    return done.status


def _disable(repo: Any, delivery: Any, job: Job, err: ChannelGone, *, now: str) -> str:
    """A receiver that answered 410 Gone: the delivery fails with a notice in the member's inbox (in
    the same write), then the channel is disabled, so nothing more is sent to it."""
    channel = err.channel
    if channel is None:  # not a channel's own delivery: an ordinary refusal
        repo.complete(delivery, "failed", now=now, error=str(err))
        return "failed"
    where = urlsplit(channel.settings.get("url") or "").netloc or channel.type
    pack_id, version = err.pack or (job.pack_id, job.version)
    notice = InboxEntry(
        id=new_ulid(),
        member_id=job.recipient_id,
        pack_id=pack_id,
        version=version,
        title=f"Your {channel.type} at {where} answered 410 Gone, so we disabled it. "
        "This pack is here instead; add the channel again to receive packs there",
        from_member=None,
        received_at=now,
        kind="channel-disabled",
        channel_id=channel.id,
    )
    if not repo.complete(delivery, "failed", now=now, error=str(err), inbox=notice):
        return "claim lost"
    repo.set_status(channel, "disabled", expect="active", now=now)
    logger.warning("channel disabled", extra={"delivery_id": job.id, "channel_id": channel.id})
    return "failed: channel disabled"


def _effect(repo: Any, store: Any, packs: Any, out: Outbound, job: Job) -> Effect:
    """One attempt of a pack's delivery or retraction; raises Transient or Refused."""
    info = about(store, packs, repo, job)
    if info is None:
        return Effect("skipped", "the pack or its publication is gone")
    if info.revoked and job.kind == "publish":
        return Effect("skipped", "its publisher revoked the publication")
    if job.recipient_id in info.actor_blocks or info.actor_id in repo.blocked_by(job.recipient_id):
        return Effect("skipped", "blocked")
    if job.channel_type == INBOX:
        if job.kind == "retract":
            return Effect("skipped", "the inbox entry serves the rebuilt version")
        entry = InboxEntry(
            id=new_ulid(),
            member_id=job.recipient_id,
            pack_id=job.pack_id,
            version=job.version,
            title=info.title,
            from_member=info.sender_name,
            received_at=iso(utcnow()),
        )
        return Effect("sent", inbox=entry)
    channel = repo.get_channel(job.recipient_id, job.channel_id)
    if channel is None:
        return Effect("skipped", "the channel was deleted")
    if not channel.active:
        return Effect("skipped", f"the channel is {channel.status}")
    if job.kind == "publish" and channel.mode == "digest":
        return Effect("held", digest={"title": info.title, "from": info.sender_name})
    sealed = channels.open_secrets(out.sealer, channel)
    link = pack_link(repo, out, job, job.version) if job.kind == "publish" else None
    if channel.type == "email":
        if job.kind == "retract":
            return Effect("skipped", "mail cannot be recalled")
        who = info.sender_name or "Someone you follow"
        send_mail(
            out,
            channel,
            sealed,
            job.id,
            info.title,
            f"{who} circulated a conference pack to you:",
            [(info.title, link)],
        )
        return Effect("sent")
    if channel.type == "webhook":
        try:
            send_webhook(out, channel, sealed, job, info, link)
        except ChannelGone as err:
            err.channel = channel
            raise
        return Effect("sent")
    if channel.type == "mastodon":
        return Effect("sent", remote_id=send_mastodon(repo, out, channel, sealed, job, info, link))
    return Effect("skipped", f"{channel.type} channels receive no deliveries")


def send_verification(repo: Any, out: Outbound, member_id: str, channel_id: str) -> str:
    """Mail the code that confirms a new email channel (on ChannelAdded)."""
    from backchannel.circulation.transports.mail import MailError, build_message

    channel = repo.get_channel(member_id, channel_id)
    if channel is None or channel.type != "email" or channel.status != "pending":
        return "no verification needed"
    code = channels.open_secrets(out.sealer, channel)["code"]
    raw = build_message(
        sender=out.mail_from,
        to=channel.settings["address"],
        subject=f"Your Backchannel code: {code}",
        text=f"Confirm this address for conference packs with the code {code}.\n"
        "If you did not ask for this, ignore this mail: nothing will be sent.\n",
        html=f"<p>Confirm this address for conference packs with the code <strong>{code}</strong>.</p>"
        "<p>If you did not ask for this, ignore this mail: nothing will be sent.</p>",
        unsubscribe_url=None,
        message_id_key=f"verify/{channel.id}",
    )
    try:
        out.mailer.send(sender=out.mail_from, to=channel.settings["address"], raw=raw)
    except MailError as err:
        if err.retryable:
            raise Retry(str(err), 30) from None
        return f"verification not sent: {err}"
    return "verification sent"
