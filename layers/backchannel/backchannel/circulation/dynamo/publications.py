"""Publications of packs, their editions and counters, and the inbox."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from backchannel.circulation.dynamo.items import (
    DeliveryStatsItem,
    InboxItem,
    PublicationItem,
    RepoBase,
    circ_sk,
    member_pk,
    plain,
    to_inbox,
    to_publication,
)
from backchannel.circulation.model import (
    STATS_SHARDS,
    InboxEntry,
    Publication,
)
from backchannel.core.dynamo.conditions import Transaction, get_item, update_if
from backchannel.core.dynamo.table import Item
from backchannel.core.model import Page
from backchannel.packs.model import Artifact


def _key(pub: Publication) -> PublicationItem:
    return PublicationItem(pk=f"PACK#{pub.pack_id}", sk=circ_sk(pub.version))


class PublicationsRepo(RepoBase):
    # -- inbox ---------------------------------------------------------------------------------------

    def inbox(self, member_id: str, limit: int, cursor: str | None) -> Page[InboxEntry]:
        items, nxt = self._paged(InboxItem, member_pk(member_id), "INBOX#", limit, cursor, newest_first=True)
        return Page([to_inbox(i) for i in items], nxt)

    def inbox_entry(self, member_id: str, entry_id: str) -> InboxEntry | None:
        item = get_item(InboxItem, member_pk(member_id), f"INBOX#{entry_id}")
        return to_inbox(item) if item else None

    # -- publications --------------------------------------------------------------------------------

    def create_publication(self, pub: Publication) -> bool:
        """The publication and its zeroed counters; False if this version was published already."""
        item = PublicationItem(
            pk=f"PACK#{pub.pack_id}",
            sk=circ_sk(pub.version),
            pack_id=pub.pack_id,
            version=pub.version,
            kind=pub.kind,
            target_id=pub.target_id,
            event_id=pub.event_id,
            owner_id=pub.owner_id,
            published_by=pub.published_by,
            published_at=pub.published_at,
            status=pub.status,
            updated_at=pub.published_at,
        )
        try:
            with Transaction() as tx:
                tx.save(item, condition=PublicationItem.pk.does_not_exist())
                for shard in range(STATS_SHARDS):
                    tx.save(
                        DeliveryStatsItem(
                            pk=f"PACK#{pub.pack_id}", sk=f"{circ_sk(pub.version)}#STATS#{shard}", counts={}
                        )
                    )
            return True
        except TransactWriteError as err:
            if tx.refused(err):
                return False
            raise

    def get_publication(self, pack_id: str, version: int) -> Publication | None:
        item = get_item(PublicationItem, f"PACK#{pack_id}", circ_sk(version), consistent_read=True)
        return to_publication(item) if item else None

    def latest_publication(self, pack_id: str) -> Publication | None:
        """The newest publication of a pack that its publisher has not revoked."""
        return next((p for p, _ in self.publications(pack_id) if not p.revoked_at), None)

    def publications(self, pack_id: str) -> list[tuple[Publication, dict[str, int]]]:
        """Every publication of a pack, newest first, with its counters summed over the shards."""
        pubs: dict[int, Publication] = {}
        counts: dict[int, dict[str, int]] = {}
        for item in Item.query(f"PACK#{pack_id}", Item.sk.startswith("CIRC#")):
            version = int(item.sk[5:11])
            if isinstance(item, PublicationItem):
                pubs[version] = to_publication(item)
            elif isinstance(item, DeliveryStatsItem):
                total = counts.setdefault(version, {})
                for key, value in (plain(item.counts) or {}).items():
                    total[key] = total.get(key, 0) + int(value)
        return [(pubs[v], counts.get(v, {})) for v in sorted(pubs, reverse=True)]

    def set_edition(
        self,
        pub: Publication,
        *,
        revision: int,
        bucket: str,
        edition: dict[str, Artifact],
        left_out: dict[str, int],
        now: str,
    ) -> bool:
        """Serve ``revision`` of the publication's edition, built after the ``pub.retractions``
        withdrawals read before the build. Conditional on both: False if another worker moved the
        revision on, or a withdrawal came during the build (then it must be built again)."""
        return update_if(
            _key(pub),
            actions=[
                PublicationItem.revision.set(revision),
                PublicationItem.bucket.set(bucket),
                PublicationItem.edition.set({fmt: a.to_record() for fmt, a in edition.items()}),
                PublicationItem.left_out.set(left_out),
                PublicationItem.retracted.set(pub.retractions),
                PublicationItem.updated_at.set(now),
            ],
            condition=PublicationItem.pk.exists()
            & (PublicationItem.revision == revision - 1)
            & (PublicationItem.retractions == pub.retractions),
        )

    def acknowledge_retractions(self, pub: Publication, *, now: str) -> bool:
        """The withdrawals read before a rebuild touched nothing the edition holds: serve it as it is.
        Conditional like :meth:`set_edition` (False: it moved on meanwhile)."""
        return update_if(
            _key(pub),
            actions=[PublicationItem.retracted.set(pub.retractions), PublicationItem.updated_at.set(now)],
            condition=PublicationItem.pk.exists()
            & (PublicationItem.revision == pub.revision)
            & (PublicationItem.retractions == pub.retractions),
        )

    def retract_publications(self, pack_id: str, *, now: str) -> int:
        """Something the pack's circulated editions may hold was taken away: each publication counts
        one more withdrawal (served no more until rebuilt; the stream says ``PackRetracted``)."""
        found = Item.query(f"PACK#{pack_id}", Item.sk.startswith("CIRC#"))
        pubs = [i for i in found if isinstance(i, PublicationItem)]
        for item in pubs:
            update_if(  # False: deleted meanwhile, nothing left to serve
                item,
                actions=[PublicationItem.retractions.add(1), PublicationItem.updated_at.set(now)],
                condition=PublicationItem.pk.exists(),
            )
        return len(pubs)

    def revoke_publication(self, pub: Publication, *, now: str) -> bool:
        """The publisher takes a publication back: every inbox entry and link of it answers 410."""
        return update_if(
            _key(pub),
            actions=[PublicationItem.revoked_at.set(now), PublicationItem.updated_at.set(now)],
            condition=PublicationItem.pk.exists() & PublicationItem.revoked_at.does_not_exist(),
        )

    def update_publication(self, pub: Publication, *, now: str) -> None:
        key = _key(pub)
        key.update(
            actions=[
                PublicationItem.status.set(pub.status),
                PublicationItem.recipients.set(pub.recipients),
                PublicationItem.deliveries.set(pub.deliveries),
                PublicationItem.by_channel.set(pub.by_channel),
                PublicationItem.updated_at.set(now),
            ]
        )
