"""DynamoDB access for posts, notes and summaries (the key table is in ``capture/items.py``)."""

from __future__ import annotations

import functools
import heapq
import zlib

from pynamodb.exceptions import PutError, TransactWriteError

from backchannel.capture.items import NoteItem, PostItem, SummaryItem
from backchannel.capture.model import Moderation, Note, Post, Summary
from backchannel.conference.items import ClaimItem
from backchannel.core.dynamo import cursor as cursors
from backchannel.core.dynamo.conditions import Transaction, condition_failed, get_item, save_new
from backchannel.core.dynamo.convert import to_item, to_model
from backchannel.core.dynamo.merge import merge_desc
from backchannel.core.dynamo.table import Item, bind
from backchannel.core.errors import BadRequest, Conflict, PreconditionFailed
from backchannel.core.model import Page, id_not_yours

# ---------------------------------------------------------------------------------------------------
# converters
# ---------------------------------------------------------------------------------------------------


def moderation_of(item: PostItem | NoteItem) -> Moderation | None:
    if not item.moderation_state:
        return None
    return Moderation(item.moderation_state, item.moderation_reason or "", item.moderated_at or "")


def moderation_fields(moderation: Moderation | None) -> dict:
    """The item attributes of an item's moderation (all None when it is in sight)."""
    if moderation is None:
        return {"moderation_state": None, "moderation_reason": None, "moderated_at": None}
    return {
        "moderation_state": moderation.state,
        "moderation_reason": moderation.reason,
        "moderated_at": moderation.at,
    }


def out_of_sight(key: str | None, moderation: Moderation | None) -> str | None:
    """An index partition key as it is for an item in sight, or moved aside while hidden or held."""
    if key is None or moderation is None:
        return key
    return f"{key}#{moderation.state}"


def in_sight(key: str | None) -> str | None:
    """The partition key an item had in sight (``out_of_sight`` undone)."""
    if key is None:
        return None
    base, _, state = key.rpartition("#")
    return base if state in ("hidden", "held") else key


def to_post(item: PostItem) -> Post:
    return to_model(Post, item, moderation=moderation_of(item))


def feed_shard(post_id: str, shards: int) -> int:
    """The feed shard of a post: stable (a replay lands where the original did) and evenly spread."""
    return zlib.crc32(post_id.encode()) % max(shards, 1)


def event_feed_key(event_id: str, shard: int) -> str:
    return f"EVENT#{event_id}#POSTS#{shard}"


def session_feed_key(session_id: str, shard: int) -> str:
    return f"SESSION#{session_id}#POSTS#{shard}"


def _post_item(post: Post, shards: int = 1) -> PostItem:
    shard = feed_shard(post.id, shards)
    return to_item(
        PostItem,
        post,
        pk=f"POST#{post.id}",
        sk="POST",
        gsi1pk=out_of_sight(event_feed_key(post.event_id, shard), post.moderation),
        gsi1sk=post.seq,
        gsi2pk=out_of_sight(session_feed_key(post.session_id, shard), post.moderation)
        if post.session_id
        else None,
        gsi2sk=post.seq if post.session_id else None,
        **moderation_fields(post.moderation),
    )


def _note_partition(note: Note) -> str:
    suffix = f"private#{note.author_id}" if note.visibility == "private" else note.visibility
    return out_of_sight(f"SESSION#{note.session_id}#NOTES#{suffix}", note.moderation) or ""


def to_note(item: NoteItem) -> Note:
    return to_model(Note, item, moderation=moderation_of(item))


def _note_item(note: Note) -> NoteItem:
    return to_item(
        NoteItem,
        note,
        pk=f"NOTE#{note.id}",
        sk="NOTE",
        gsi1pk=_note_partition(note),
        gsi1sk=note.id,
        gsi2pk=f"MEMBER#{note.author_id}#NOTES",
        gsi2sk=note.id,
        **moderation_fields(note.moderation),
    )


def to_summary(item: SummaryItem) -> Summary:
    return to_model(Summary, item)


def _summary_item(summary: Summary) -> SummaryItem:
    sk = "SUMMARY#DRAFT" if summary.status == "draft" else f"SUMMARY#V#{summary.version:06d}"
    return to_item(SummaryItem, summary, pk=f"SESSION#{summary.session_id}", sk=sk)


# ---------------------------------------------------------------------------------------------------
# moderation: the item's part of an organiser's action (``moderation.dynamo`` writes it in one
# transaction with the audit entry)
# ---------------------------------------------------------------------------------------------------


def _set(attribute, value):
    return attribute.remove() if value is None else attribute.set(value)


def moderate_post_in(tx: Transaction, before: Post, after: Post) -> PostItem:
    """Move a post in or out of sight (its feed partitions, its moderation), if its moderation is still
    ``before``'s; an approved held post takes ``after.seq``, its place at the top of the feeds."""
    item = get_item(PostItem, f"POST#{before.id}", "POST", consistent_read=True)
    if item is None:
        raise Conflict(f"post {before.id} was deleted meanwhile")
    state = before.moderation.state if before.moderation else None
    actions = [
        _set(PostItem.gsi1pk, out_of_sight(in_sight(item.gsi1pk), after.moderation)),
        _set(PostItem.gsi2pk, out_of_sight(in_sight(item.gsi2pk), after.moderation)),
        *(_set(getattr(PostItem, k), v) for k, v in moderation_fields(after.moderation).items()),
    ]
    if after.seq != before.seq:
        actions += [PostItem.seq.set(after.seq), PostItem.gsi1sk.set(after.seq)]
        actions += [PostItem.gsi2sk.set(after.seq)] if item.gsi2pk else []
    key = PostItem(pk=item.pk, sk=item.sk)
    condition = PostItem.moderation_state == state if state else PostItem.moderation_state.does_not_exist()
    tx.update(key, actions=actions, condition=PostItem.pk.exists() & condition)
    return key


def moderate_note_in(tx: Transaction, before: Note, after: Note) -> NoteItem:
    """The note as ``after`` (a new version, in or out of sight), if it is still ``before``'s version."""
    item = _note_item(after)
    tx.save(item, condition=NoteItem.version == before.version)
    return item


class DynamoCaptureRepo:
    """The production :class:`backchannel.capture.store.CaptureRepo`."""

    def __init__(self) -> None:
        bind()

    # -- posts -------------------------------------------------------------------------------------

    def put_post(self, post: Post, shards: int = 1) -> Post | None:
        if save_new(_post_item(post, shards)):
            return None
        existing = self.get_post(post.id)
        if existing is None:  # deleted (perhaps between the two calls): the id stays spent
            raise id_not_yours("post", post.id)
        return existing

    def get_post(self, post_id: str) -> Post | None:
        item = get_item(PostItem, f"POST#{post_id.upper()}", "POST")
        return to_post(item) if item else None

    def get_posts(self, post_ids: list[str]) -> dict[str, Post]:
        """The posts of these ids that exist (one BatchGetItem per 100 ids, strongly consistent)."""
        keys = [(f"POST#{post_id.upper()}", "POST") for post_id in dict.fromkeys(post_ids)]
        found = PostItem.batch_get(keys, consistent_read=True) if keys else []
        return {item.id: to_post(item) for item in found if isinstance(item, PostItem)}

    def delete_post(self, post: Post) -> None:
        PostItem(pk=f"POST#{post.id}", sk="POST").delete()

    @staticmethod
    def _shard(
        index, key: str, limit: int, *, before: str | None = None, after: str | None = None
    ) -> list[Post]:
        """One shard, newest first below ``before``, or oldest first above ``after``."""
        sort_key = Item.gsi2sk if index is PostItem.gsi2 else Item.gsi1sk
        if after is not None:
            condition, forward = sort_key > after, True
        else:
            condition, forward = (sort_key < before if before else None), False
        items = index.query(key, condition, scan_index_forward=forward, limit=limit, page_size=limit)
        return [to_post(i) for i in items if isinstance(i, PostItem)]

    def _shard_before(self, index, key: str, before: str | None, count: int) -> list[Post]:
        return self._shard(index, key, count, before=before)

    def _feed(self, index, keys: list[str], limit: int, cursor: str | None) -> tuple[list[Post], str | None]:
        positions = cursors.decode_positions(cursor, {str(n) for n in range(len(keys))})
        fetchers = {str(n): functools.partial(self._shard_before, index, key) for n, key in enumerate(keys)}
        posts, following = merge_desc(fetchers, lambda p: p.seq, limit, positions)
        return posts, cursors.encode(following) if following else None

    def _since(self, index, keys: list[str], limit: int, after: str) -> list[Post]:
        """The ``limit`` oldest posts above ``after`` across the shards, returned newest first."""
        shards = [self._shard(index, key, limit, after=after) for key in keys]
        merged = heapq.merge(*shards, key=lambda p: p.seq)
        return list(reversed(list(merged)[:limit]))

    def event_posts(
        self, event_id: str, shards: int, limit: int, cursor: str | None
    ) -> tuple[list[Post], str | None]:
        return self._feed(PostItem.gsi1, [event_feed_key(event_id, n) for n in range(shards)], limit, cursor)

    def event_posts_since(self, event_id: str, shards: int, limit: int, after: str) -> list[Post]:
        return self._since(PostItem.gsi1, [event_feed_key(event_id, n) for n in range(shards)], limit, after)

    def session_posts(
        self, session_id: str, shards: int, limit: int, cursor: str | None
    ) -> tuple[list[Post], str | None]:
        return self._feed(
            PostItem.gsi2, [session_feed_key(session_id, n) for n in range(shards)], limit, cursor
        )

    def session_posts_since(self, session_id: str, shards: int, limit: int, after: str) -> list[Post]:
        return self._since(
            PostItem.gsi2, [session_feed_key(session_id, n) for n in range(shards)], limit, after
        )

    def held_posts(
        self, event_id: str, shards: int, limit: int, cursor: str | None
    ) -> tuple[list[Post], str | None]:
        """Posts waiting for an organiser's approval, newest first (their own partitions per shard)."""
        keys = [f"{event_feed_key(event_id, n)}#held" for n in range(shards)]
        return self._feed(PostItem.gsi1, keys, limit, cursor)

    def session_for_hashtags(self, event_id: str, hashtags: list[str]) -> str | None:
        keys = list(dict.fromkeys((f"EVENT#{event_id}", f"SESSIONTAG#{t.lower()}") for t in hashtags[:100]))
        owners = {c.sk: c.owner_id for c in ClaimItem.batch_get(keys) if isinstance(c, ClaimItem)}
        for tag in hashtags:
            owner = owners.get(f"SESSIONTAG#{tag.lower()}")
            if owner:
                return owner
        return None

    # -- notes -------------------------------------------------------------------------------------

    def put_note(self, note: Note) -> Note | None:
        if save_new(_note_item(note)):
            return None
        existing = self.get_note(note.id)
        if existing is None:
            raise id_not_yours("note", note.id)
        return existing

    def get_note(self, note_id: str) -> Note | None:
        item = get_item(NoteItem, f"NOTE#{note_id.upper()}", "NOTE")
        return to_note(item) if item else None

    def replace_note(self, before: Note, after: Note) -> None:
        try:
            _note_item(after).save(condition=NoteItem.version == before.version)
        except PutError as err:
            if condition_failed(err):
                raise PreconditionFailed("the note changed since you read it: read it again") from None
            raise

    def delete_note(self, note: Note) -> None:
        _note_item(note).delete()

    def session_notes(
        self, session_id: str, partitions: list[str], limit: int, cursor: str | None
    ) -> Page[Note]:
        positions = cursors.decode_positions(cursor, set(partitions))

        def fetcher(partition: str):
            def fetch(before: str | None, n: int) -> list[Note]:
                condition = Item.gsi1sk < before if before else None
                pk = f"SESSION#{session_id}#NOTES#{partition}"
                result = NoteItem.gsi1.query(pk, condition, scan_index_forward=False, limit=n, page_size=n)
                return [to_note(i) for i in result if isinstance(i, NoteItem)]

            return fetch

        notes, following = merge_desc({p: fetcher(p) for p in partitions}, lambda n: n.id, limit, positions)
        return Page(notes, cursors.encode(following) if following else None)

    def member_notes(self, member_id: str, limit: int, cursor: str | None) -> Page[Note]:
        position = cursors.decode_positions(cursor, {"before"})
        before = (position or {}).get("before")
        condition = Item.gsi2sk < before if before else None
        result = NoteItem.gsi2.query(
            f"MEMBER#{member_id}#NOTES",
            condition,
            scan_index_forward=False,
            limit=limit + 1,
            page_size=limit + 1,
        )
        notes = [to_note(i) for i in result if isinstance(i, NoteItem)]
        more = len(notes) > limit
        notes = notes[:limit]
        return Page(notes, cursors.encode({"before": notes[-1].id}) if more and notes else None)

    # -- summaries ---------------------------------------------------------------------------------

    def _versions(self, session_id: str, limit: int, below: int | None) -> list[Summary]:
        """Published versions newest first, all below version ``below`` when given."""
        if below is None:
            condition = SummaryItem.sk.startswith("SUMMARY#V#")
        else:
            condition = SummaryItem.sk.between("SUMMARY#V#000000", f"SUMMARY#V#{max(below - 1, 0):06d}")
        result = SummaryItem.query(
            f"SESSION#{session_id}", condition, scan_index_forward=False, limit=limit, page_size=limit
        )
        return [to_summary(i) for i in result if isinstance(i, SummaryItem) and i.status == "published"]

    def latest_summary(self, session_id: str) -> Summary | None:
        found = self._versions(session_id, 1, None)
        return found[0] if found else None

    def summary_draft(self, session_id: str) -> Summary | None:
        item = get_item(SummaryItem, f"SESSION#{session_id}", "SUMMARY#DRAFT")
        return to_summary(item) if item else None

    def save_summary_draft(self, summary: Summary) -> None:
        _summary_item(summary).save()

    def publish_summary(self, summary: Summary) -> None:
        draft = SummaryItem(pk=f"SESSION#{summary.session_id}", sk="SUMMARY#DRAFT")
        try:
            with Transaction() as tx:
                version = _summary_item(summary)
                tx.save(version, condition=SummaryItem.pk.does_not_exist())
                tx.delete(draft)
        except TransactWriteError as err:
            if tx.refused(err, version):
                raise Conflict(
                    "another version was published at the same moment: read it and retry"
                ) from None
            raise

    def summary_versions(self, session_id: str, limit: int, cursor: str | None) -> Page[Summary]:
        position = cursors.decode_positions(cursor, {"before"})
        before = (position or {}).get("before")
        if before is not None and not before.isdigit():
            raise BadRequest("cursor is not valid for this list: start again without it", field="cursor")
        found = self._versions(session_id, limit + 1, int(before) if before else None)
        more = len(found) > limit
        found = found[:limit]
        return Page(found, cursors.encode({"before": str(found[-1].version)}) if more and found else None)
