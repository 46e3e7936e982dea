"""Daily digests: the entries held for them."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator

from pynamodb.exceptions import TransactWriteError

from backchannel.circulation.dynamo.items import (
    DIGESTS_DUE,
    DeliveryItem,
    DeliveryStatsItem,
    DigestEntryItem,
    RepoBase,
    circ_sk,
    to_delivery,
)
from backchannel.circulation.model import (
    STATS_SHARDS,
    Delivery,
    stats_shard,
)
from backchannel.core.dynamo.conditions import Transaction

# DynamoDB's answers that mean "not now" (the whole call, or one item of a cancelled transaction)
_THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TransactionConflictException",
    "ProvisionedThroughputExceeded",
    "ThrottlingError",
    "TransactionConflict",
}
CLEAR_ATTEMPTS = 5  # per entry; then the error propagates and SQS brings the message back
CLEAR_BACKOFF_S = 0.05  # the first back-off ceiling, doubled per attempt (full jitter)


def throttled(err: TransactWriteError) -> bool:
    """Whether a transaction was refused for the rate of requests, not for a condition or a fault."""
    reasons = {getattr(r, "code", None) for r in (getattr(err, "cancellation_reasons", None) or []) if r}
    return err.cause_response_code in _THROTTLED or bool(reasons & _THROTTLED)


class DigestsRepo(RepoBase):
    # -- daily digests -------------------------------------------------------------------------------

    def due_digests(self) -> list[tuple[str, str, str]]:
        """(memberId, channelId, channelType) of every channel with held entries."""
        found: dict[tuple[str, str], str] = {}
        for item in DigestEntryItem.gsi1.query(DIGESTS_DUE, page_size=1000):
            if isinstance(item, DigestEntryItem):
                found.setdefault((item.member_id, item.channel_id), item.channel_type)
        return [(m, c, t) for (m, c), t in sorted(found.items())]

    def digest_entries(self, channel_id: str) -> list[dict]:
        found = DigestEntryItem.query(f"DIGEST#{channel_id}")
        return [
            {
                "packId": i.pack_id,
                "version": int(i.version),
                "title": i.title,
                "from": i.from_member,
                "memberId": i.member_id,
                "channelType": i.channel_type,
            }
            for i in found
            if isinstance(i, DigestEntryItem)
        ]

    def clear_digest(
        self,
        channel_id: str,
        entries: list[dict],
        *,
        as_status: str = "sent",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """The entries a digest carried (or dropped): counted ``as_status`` instead of held and
        removed, each in one transaction (so a second run cannot count them twice). A refused condition
        means done already (a repeated run, or the pack's counters are gone); throttling is retried
        :data:`CLEAR_ATTEMPTS` times with a bounded back-off; anything else, or throttling that lasts,
        propagates (the delivery's message comes back from SQS and clears what is left)."""
        for e in entries:
            for attempt in range(1, CLEAR_ATTEMPTS + 1):
                tx = Transaction()
                try:
                    with tx:
                        self._clear_entry(tx, channel_id, e, as_status)
                    break
                except TransactWriteError as err:
                    if tx.refused(err):
                        break
                    if not throttled(err) or attempt == CLEAR_ATTEMPTS:
                        raise
                    sleep(random.uniform(0, CLEAR_BACKOFF_S * 2 ** (attempt - 1)))

    @staticmethod
    def _clear_entry(tx: Transaction, channel_id: str, e: dict, as_status: str) -> None:
        shard = stats_shard(e["memberId"])
        tx.delete(
            DigestEntryItem(pk=f"DIGEST#{channel_id}", sk=f"{e['packId']}#{e['version']:06d}"),
            condition=DigestEntryItem.pk.exists(),
        )
        tx.update(
            DeliveryStatsItem(pk=f"PACK#{e['packId']}", sk=f"{circ_sk(e['version'])}#STATS#{shard}"),
            actions=[
                DeliveryStatsItem.counts[f"{e['channelType']}#held"].add(-1),
                DeliveryStatsItem.counts[f"{e['channelType']}#{as_status}"].add(1),
            ],
            condition=DeliveryStatsItem.pk.exists(),
        )

    def retractable(self, pack_id: str, version: int) -> Iterator[Delivery]:
        """Sent webhook and Mastodon deliveries of one published version."""
        for shard in range(STATS_SHARDS):
            found = DeliveryItem.gsi1.query(
                f"RETRACTABLE#{pack_id}#{shard}", DeliveryItem.gsi1sk.startswith(f"{version:06d}#")
            )
            for item in found:
                if isinstance(item, DeliveryItem):
                    yield to_delivery(item)
