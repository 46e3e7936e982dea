"""Deliveries: claimed, completed, retried, retracted."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from backchannel.circulation.dynamo.items import (
    DIGESTS_DUE,
    DeliveryItem,
    DeliveryStatsItem,
    DigestEntryItem,
    InboxItem,
    RepoBase,
    circ_sk,
    delivery_key,
    member_pk,
    to_delivery,
)
from backchannel.circulation.model import (
    FINAL,
    Delivery,
    InboxEntry,
    Job,
    stats_shard,
)
from backchannel.core.dynamo.conditions import Transaction, get_item, update_if
from backchannel.core.dynamo.convert import to_item


class DeliveriesRepo(RepoBase):
    # -- deliveries ----------------------------------------------------------------------------------

    def get_delivery(self, job: Job) -> Delivery | None:
        pk, sk = delivery_key(job)
        item = get_item(DeliveryItem, pk, sk, consistent_read=True)
        return to_delivery(item) if item else None

    def claim(self, job: Job, *, claim: str, now: str, lease_until: str) -> Delivery | None:
        """Take the job for one attempt: only if nobody has, it is waiting for a retry, or a claim's
        lease ran out (its worker died). None if it is final or someone else holds it."""
        pk, sk = delivery_key(job)
        item = DeliveryItem(pk=pk, sk=sk)
        may_take = (
            DeliveryItem.pk.does_not_exist()
            | (DeliveryItem.status == "retrying")
            | ((DeliveryItem.status == "sending") & (DeliveryItem.lease_until < now))
        )
        taken = update_if(
            item,
            actions=[
                DeliveryItem.type.set(DeliveryItem),
                DeliveryItem.kind.set(job.kind),
                DeliveryItem.pack_id.set(job.pack_id),
                DeliveryItem.version.set(job.version),
                DeliveryItem.recipient_id.set(job.recipient_id),
                DeliveryItem.channel_id.set(job.channel_id),
                DeliveryItem.channel_type.set(job.channel_type),
                DeliveryItem.status.set("sending"),
                DeliveryItem.attempts.add(1),
                DeliveryItem.claim.set(claim),
                DeliveryItem.lease_until.set(lease_until),
                DeliveryItem.updated_at.set(now),
            ],
            condition=may_take,
        )
        return to_delivery(item) if taken else None

    def complete(
        self,
        delivery: Delivery,
        status: str,
        *,
        now: str,
        error: str | None = None,
        remote_id: str | None = None,
        inbox: InboxEntry | None = None,
        digest: dict | None = None,
    ) -> bool:
        """End the claimed attempt with a final status, count it, and write what belongs with it (the
        inbox entry) in the same transaction. False: the claim was lost."""
        assert status in FINAL
        job = delivery.job
        pk, sk = delivery_key(job)
        actions = [
            DeliveryItem.status.set(status),
            DeliveryItem.updated_at.set(now),
            DeliveryItem.lease_until.remove(),
        ]
        if error:
            actions.append(DeliveryItem.last_error.set(error[:300]))
        if remote_id:
            actions.append(DeliveryItem.remote_id.set(remote_id))
        if status == "sent" and job.kind == "publish" and job.channel_type in ("webhook", "mastodon"):
            actions += [
                DeliveryItem.gsi1pk.set(f"RETRACTABLE#{job.pack_id}#{stats_shard(job.recipient_id)}"),
                DeliveryItem.gsi1sk.set(f"{job.version:06d}#{job.recipient_id}#{job.channel_id}"),
            ]
        counter = (
            f"{job.channel_type}#{status}"
            if job.kind == "publish"
            else f"{job.channel_type}#retract-{status}"
        )
        try:
            with Transaction() as tx:
                tx.update(
                    DeliveryItem(pk=pk, sk=sk),
                    actions=actions,
                    condition=(DeliveryItem.claim == delivery.claim) & (DeliveryItem.status == "sending"),
                )
                if job.kind != "digest":  # a digest's packs are counted per entry (clear_digest)
                    tx.update(
                        DeliveryStatsItem(
                            pk=f"PACK#{job.pack_id}",
                            sk=f"{circ_sk(job.version)}#STATS#{stats_shard(job.recipient_id)}",
                        ),
                        actions=[DeliveryStatsItem.counts[counter].add(1)],
                        condition=DeliveryStatsItem.pk.exists(),
                    )
                if digest is not None:
                    tx.save(
                        to_item(
                            DigestEntryItem,
                            job,
                            pk=f"DIGEST#{job.channel_id}",
                            sk=f"{job.pack_id}#{job.version:06d}",
                            gsi1pk=DIGESTS_DUE,
                            gsi1sk=f"{job.recipient_id}#{job.channel_id}#{job.pack_id}#{job.version}",
                            member_id=job.recipient_id,
                            title=digest["title"],
                            from_member=digest.get("from"),
                        )
                    )
                if inbox is not None:
                    tx.save(
                        to_item(InboxItem, inbox, pk=member_pk(inbox.member_id), sk=f"INBOX#{inbox.id}"),
                        condition=InboxItem.pk.does_not_exist(),
                    )
            return True
        except TransactWriteError as err:
            if tx.refused(err):
                return False
            raise

    def retry_later(self, delivery: Delivery, *, error: str, now: str) -> bool:
        pk, sk = delivery_key(delivery.job)
        return update_if(
            DeliveryItem(pk=pk, sk=sk),
            actions=[
                DeliveryItem.status.set("retrying"),
                DeliveryItem.last_error.set(error[:300]),
                DeliveryItem.lease_until.remove(),
                DeliveryItem.updated_at.set(now),
            ],
            condition=(DeliveryItem.claim == delivery.claim) & (DeliveryItem.status == "sending"),
        )
