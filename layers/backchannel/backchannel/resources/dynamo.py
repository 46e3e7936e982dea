"""DynamoDB access for resources: the ledger of shares, the ranked lists, and consistent reads of the
sources (posts, notes, summaries) the resources worker reconciles with. Keys: ``resources/items.py``.

Counting, and why it holds under concurrency and redelivery
-----------------------------------------------------------
Three invariants, kept by making every change to them one ``TransactWriteItems`` whose conditions
pin the state it was computed from:

1. a share item exists for each (source, scope, resource, member) recorded;
2. a sharer's ``sources`` is the number of share items of its (scope, resource, member); the sharer
   exists only while that number is positive;
3. a resource's ``shares`` is the number of its sharers (the resource exists only while positive),
   and its ``gsi1sk`` rank is derived from that same number.

Adding a share reads the three items (consistently), then writes in one transaction: the share (on
condition that it does not exist), the sharer (created, on condition it does not exist; or ``sources``
+1, on condition it is still positive), and only when the sharer is created, the resource with
``shares`` and rank set to the value read + 1 (on condition ``shares`` is still the value read, or the
resource does not exist). Removing mirrors it. A failed condition means another worker got there
first: read again and retry (bounded; then the message is retried by SQS). So no update is lost, no
count drifts from the markers, and because the share item is the record of what was applied, a
replayed event finds its shares already there (or already gone) and writes nothing. A crash between
read and write leaves nothing half-written.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from backchannel.capture.dynamo import to_note, to_post, to_summary
from backchannel.capture.items import NoteItem, PostItem, SummaryItem
from backchannel.capture.model import Note, Post, Summary
from backchannel.core.dynamo import cursor as cursors
from backchannel.core.dynamo.conditions import Transaction, get_item
from backchannel.core.dynamo.convert import to_item, to_model
from backchannel.core.dynamo.merge import merge_desc
from backchannel.core.dynamo.table import Item, bind
from backchannel.core.errors import Conflict
from backchannel.core.model import Page
from backchannel.resources.items import ResourceItem, ResourceShareItem, ResourceSharerItem
from backchannel.resources.model import Contribution, SharedResource, Source
from backchannel.resources.rules import SHARED_VISIBILITIES

RESOURCE_SK = "RESOURCE"
_RANK_TOP = 9_999_999_999
_RETRYABLE = {"ConditionalCheckFailed", "TransactionConflict"}


def resource_pk(scope: str, resource_id: str) -> str:
    return f"RES#{scope}#{resource_id}"


RANKED_SHARDS = 8


def ranked_pk(scope: str, resource_id: str) -> str:
    """The ranking partition of a resource: a scope's ranking is spread over ``RANKED_SHARDS`` keys
    by resource (every new sharer moves a resource's rank: a delete and a put in the index, so one
    key would take two index writes per new sharer; a keynote's links reach about 1,800 a second)."""
    return f"RES#{scope}#RANKED#{zlib.crc32(resource_id.encode()) % RANKED_SHARDS}"


def rank(shares: int, resource_id: str) -> str:
    """Ascending order of this key is most shared first (ties by id, so pages are stable)."""
    return f"{_RANK_TOP - shares:010d}#{resource_id}"


def _source_pk(source: Source) -> str:
    return f"RESSRC#{source.key}"


def _share_sk(c: Contribution) -> str:
    return f"RES#{c.scope}#{c.resource_id}#{c.member_id}"


def _sharer_sk(member_id: str) -> str:
    return f"SHARER#{member_id}"


def _retryable(err: TransactWriteError) -> bool:
    reasons = [r for r in (err.cancellation_reasons or []) if r is not None]
    return bool(reasons) and all(r.code in _RETRYABLE or r.code == "None" for r in reasons)


class DynamoResourcesRepo:
    """The production :class:`backchannel.resources.store.ResourcesRepo` and ``ResourceList``."""

    def __init__(self, *, attempts: int = 8, sleep: Callable[[float], None] = time.sleep) -> None:
        bind()
        self.attempts = attempts
        self.sleep = sleep

    # -- the ledger --------------------------------------------------------------------------------

    def recorded(self, source: Source) -> frozenset[Contribution]:
        items = ResourceShareItem.query(_source_pk(source), consistent_read=True)
        return frozenset(to_model(Contribution, i) for i in items if isinstance(i, ResourceShareItem))

    def add(self, source: Source, c: Contribution) -> None:
        self._retry(lambda: self._add_once(source, c))

    def remove(self, source: Source, c: Contribution) -> None:
        self._retry(lambda: self._remove_once(source, c))

    def _retry(self, once: Callable[[], None]) -> None:
        for attempt in range(self.attempts):
            try:
                once()
                return
            except TransactWriteError as err:
                if not _retryable(err):
                    raise
            self.sleep(random.uniform(0, 0.02 * 2**attempt))
        raise Conflict("too many concurrent changes to one resource: retry later")

    def _read(
        self, source: Source, c: Contribution
    ) -> tuple[ResourceShareItem | None, ResourceSharerItem | None, ResourceItem | None]:
        pk = resource_pk(c.scope, c.resource_id)
        keys = [(_source_pk(source), _share_sk(c)), (pk, _sharer_sk(c.member_id)), (pk, RESOURCE_SK)]
        found = {(i.pk, i.sk): i for i in Item.batch_get(keys, consistent_read=True)}
        share, sharer, resource = (found.get(k) for k in keys)
        return (
            share if isinstance(share, ResourceShareItem) else None,
            sharer if isinstance(sharer, ResourceSharerItem) else None,
            resource if isinstance(resource, ResourceItem) else None,
        )

    def _add_once(self, source: Source, c: Contribution) -> None:
        share, sharer, resource = self._read(source, c)
        if share is not None:
            return  # recorded already: a replay
        pk = resource_pk(c.scope, c.resource_id)
        with Transaction() as tx:
            tx.save(
                to_item(
                    ResourceShareItem,
                    c,
                    pk=_source_pk(source),
                    sk=_share_sk(c),
                    source=source.key,
                    resource_id=c.resource_id,
                ),
                condition=ResourceShareItem.pk.does_not_exist(),
            )
            if sharer is not None:
                tx.update(
                    ResourceSharerItem(pk=pk, sk=_sharer_sk(c.member_id)),
                    actions=[ResourceSharerItem.sources.add(1)],
                    condition=ResourceSharerItem.sources >= 1,
                )
                return
            tx.save(
                to_item(
                    ResourceSharerItem,
                    c,
                    pk=pk,
                    sk=_sharer_sk(c.member_id),
                    resource_id=c.resource_id,
                    sources=1,
                ),
                condition=ResourceSharerItem.pk.does_not_exist(),
            )
            if resource is None:
                tx.save(
                    to_item(
                        ResourceItem,
                        c,
                        pk=pk,
                        sk=RESOURCE_SK,
                        gsi1pk=ranked_pk(c.scope, c.resource_id),
                        gsi1sk=rank(1, c.resource_id),
                        resource_id=c.resource_id,
                        shares=1,
                    ),
                    condition=ResourceItem.pk.does_not_exist(),
                )
            else:
                shares = int(resource.shares)
                tx.update(
                    ResourceItem(pk=pk, sk=RESOURCE_SK),
                    actions=[
                        ResourceItem.shares.set(shares + 1),
                        ResourceItem.gsi1sk.set(rank(shares + 1, c.resource_id)),
                    ],
                    condition=ResourceItem.shares == shares,
                )

    def _remove_once(self, source: Source, c: Contribution) -> None:
        share, sharer, resource = self._read(source, c)
        if share is None:
            return  # gone already: a replay
        pk = resource_pk(c.scope, c.resource_id)
        with Transaction() as tx:
            tx.delete(share, condition=ResourceShareItem.pk.exists())
            if sharer is None:  # cannot happen while the invariants hold; do not make it worse
                return
            marker = ResourceSharerItem(pk=pk, sk=_sharer_sk(c.member_id))
            if int(sharer.sources) > 1:
                tx.update(
                    marker,
                    actions=[ResourceSharerItem.sources.add(-1)],
                    condition=ResourceSharerItem.sources > 1,
                )
                return
            tx.delete(marker, condition=ResourceSharerItem.sources == 1)
            if resource is None:
                return
            shares = int(resource.shares)
            if shares <= 1:
                tx.delete(ResourceItem(pk=pk, sk=RESOURCE_SK), condition=ResourceItem.shares == shares)
            else:
                tx.update(
                    ResourceItem(pk=pk, sk=RESOURCE_SK),
                    actions=[
                        ResourceItem.shares.set(shares - 1),
                        ResourceItem.gsi1sk.set(rank(shares - 1, c.resource_id)),
                    ],
                    condition=ResourceItem.shares == shares,
                )

    # -- the ranked lists --------------------------------------------------------------------------

    def ranked(self, scope: str, limit: int, cursor: str | None) -> Page[SharedResource]:
        """Most shared first, merged from the scope's ranking shards: one query of ``limit + 1`` per
        shard that still has items, a cursor holding each shard's place."""
        shards = {f"{scope}#{n}": f"RES#{scope}#RANKED#{n}" for n in range(RANKED_SHARDS)}
        positions = cursors.decode_positions(cursor, set(shards))  # named by scope: a cursor is its list's

        def fetcher(pk: str):
            def fetch(after: str | None, n: int) -> list[ResourceItem]:
                condition = ResourceItem.gsi1sk > after if after else None
                found = ResourceItem.gsi1.query(pk, condition, limit=n, page_size=n)
                return [i for i in found if isinstance(i, ResourceItem)]

            return fetch

        items, following = merge_desc(
            {name: fetcher(pk) for name, pk in shards.items()},
            lambda i: i.gsi1sk,
            limit,
            positions,
            descending=False,
        )
        return Page(
            [to_model(SharedResource, i, id=i.resource_id) for i in items],
            cursors.encode(following) if following else None,
        )


class DynamoSourceReader:
    """The production :class:`backchannel.resources.store.SourceReader`: strongly consistent reads,
    so a worker reconciling after a change sees that change."""

    def __init__(self) -> None:
        bind()

    def post(self, post_id: str) -> Post | None:
        item = get_item(PostItem, f"POST#{post_id}", "POST", consistent_read=True)
        return to_post(item) if item else None

    def shared_note(self, note_id: str) -> Note | None:
        pk = f"NOTE#{note_id}"
        try:
            # First only the visibility, so a private note's content is never read.
            meta = NoteItem.get(pk, "NOTE", consistent_read=True, attributes_to_get=["type", "visibility"])
            if getattr(meta, "visibility", None) not in SHARED_VISIBILITIES:
                return None
            item = NoteItem.get(pk, "NOTE", consistent_read=True)
        except DoesNotExist:
            return None
        if not isinstance(item, NoteItem) or item.visibility not in SHARED_VISIBILITIES:
            return None
        return to_note(item)

    def published_summary(self, session_id: str) -> Summary | None:
        result = SummaryItem.query(
            f"SESSION#{session_id}",
            SummaryItem.sk.startswith("SUMMARY#V#"),
            scan_index_forward=False,
            limit=1,
            consistent_read=True,
        )
        for item in result:
            if isinstance(item, SummaryItem) and item.status == "published":
                return to_summary(item)
        return None
