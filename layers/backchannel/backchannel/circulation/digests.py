"""Daily digests: the scheduled run puts one digest job per channel with held packs on the delivery
queue; the delivery worker sends each as one message with a link per pack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backchannel.circulation.effects import Effect
from backchannel.circulation.links import pack_link
from backchannel.circulation.transports.send import ChannelGone, post_status, post_webhook, send_mail

if TYPE_CHECKING:
    from backchannel.circulation.delivery import Outbound
from typing import Any

from backchannel.circulation import channels
from backchannel.circulation.model import Job


def send_digest(repo: Any, out: Outbound, job: Job) -> Effect:
    """A channel's daily digest: every pack held for it since the last one, in one message."""
    channel = repo.get_channel(job.recipient_id, job.channel_id)
    entries = repo.digest_entries(job.channel_id)
    if not entries:
        return Effect("skipped", "nothing to send")
    if channel is None or not channel.active:  # deleted or unsubscribed since: the held packs go
        return Effect("skipped", "the channel is gone", cleared=entries, cleared_as="skipped")
    sealed = channels.open_secrets(out.sealer, channel)
    items = [(e["title"], pack_link(repo, out, held_job(job, e), e["version"])) for e in entries]
    title = f"Your daily digest: {len(items)} conference pack{'s' if len(items) != 1 else ''}"
    if channel.type == "email":
        send_mail(out, channel, sealed, job.id, title, "Packs circulated to you since yesterday:", items)
    elif channel.type == "webhook":
        packs = [
            {"packId": e["packId"], "version": e["version"], "title": t, "url": u}
            for e, (t, u) in zip(entries, items, strict=True)
        ]
        try:
            post_webhook(out, channel, sealed, job.id, "pack.digest", {"packs": packs})
        except ChannelGone as err:
            err.channel, err.pack = channel, (entries[0]["packId"], entries[0]["version"])
            raise
    elif channel.type == "mastodon":
        text = "\n".join([title, *(f"{t} {u}" for t, u in items)])[:480]
        post_status(out, channel, sealed, job.id, text)
    return Effect("sent", cleared=entries)


def held_job(digest: Job, entry: dict) -> Job:
    """The delivery a digest entry was held for (its link is scoped to that delivery)."""
    return Job(entry["packId"], entry["version"], digest.recipient_id, digest.channel_id, digest.channel_type)


def run_digests(repo: Any, queue: Any, day: str) -> int:
    """The daily run: one digest job per channel with held packs (a job per channel and day, so a
    repeated run sends nothing twice)."""
    jobs = [
        Job(f"digest-{day}", 0, member_id, channel_id, channel_type, "digest")
        for member_id, channel_id, channel_type in repo.due_digests()
    ]
    queue.send(jobs)
    return len(jobs)
