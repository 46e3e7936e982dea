"""DynamoDB access for questions, votes and question settings (keys in ``questions/items.py``).

Exact vote counts. A vote is an item ``QUESTION#<id> / VOTE#<memberId>``; casting it is one
TransactWriteItems of two parts: put the vote item if it does not exist, and set the question's
``votes`` to ``n + 1`` (and its ``top`` sort key to match) on condition that ``votes`` is still the
``n`` just read (with a strongly consistent read) and the question is still approved. Withdrawing is
the mirror image (delete the vote item if it exists, ``votes = n - 1`` if still ``n``). So:

- every change of ``votes`` commits together with exactly one creation or deletion of a vote item,
  all or nothing: ``votes`` always equals the number of vote items;
- a member's second vote (a retry, a double tap, a parallel request) fails the first condition and
  changes nothing: it is reported as "already voted";
- two voters racing read the same ``n``; the first to commit changes ``votes``, so the other's
  condition fails, nothing of it is written, and it re-reads and tries again (bounded retries with
  jitter; DynamoDB's own ``TransactionConflict`` is retried the same way). No update is lost and the
  sort key written is always the count it is written with.

Moderation updates only ``status``, ``answered`` and the index partition keys, never ``votes`` or the
``top`` sort key, on condition that the status is the one read; so it cannot lose a vote either.
"""

from __future__ import annotations

import random
import time
import zlib

from pynamodb.exceptions import TransactWriteError

from backchannel.core.dynamo import cursor as cursors
from backchannel.core.dynamo.conditions import Transaction, get_item, save_new, update_if
from backchannel.core.dynamo.convert import to_item, to_model
from backchannel.core.dynamo.merge import merge_desc
from backchannel.core.dynamo.table import Item, bind
from backchannel.core.errors import Conflict
from backchannel.core.model import Page, id_not_yours
from backchannel.questions.items import QuestionItem, QuestionSettingsItem, VoteItem
from backchannel.questions.model import APPROVED, HIDDEN, PENDING, Question, QuestionSettings

MAX_ATTEMPTS = 40
# A session's ranking of approved questions over 8 index keys by question: a vote moves its question's
# sort key (a delete and a put in the index), so one key would take two writes a vote, about 490 votes
# a second in a keynote at most. Read back merged (merge_desc): one query of limit + 1 a shard, exact.
TOP_SHARDS = 8
VOTES_WIDTH = 8
_NO_VOTES = "0" * VOTES_WIDTH


def _top_key(votes: int, question_id: str) -> str:
    return f"{max(votes, 0):0{VOTES_WIDTH}d}#{question_id}"


def top_shard(question_id: str) -> int:
    return zlib.crc32(question_id.upper().encode()) % TOP_SHARDS


def _partitions(session_id: str, status: str, asker_id: str, question_id: str) -> tuple[str, str]:
    """(gsi1pk, gsi2pk) of a question in ``status``: approved ones in the public partitions only (the
    ranking sharded by question)."""
    base = f"SESSION#{session_id}#QUESTIONS"
    if status == APPROVED:
        return f"{base}#TOP#{top_shard(question_id)}", base
    if status == HIDDEN:
        return f"{base}#hidden#TOP", f"{base}#hidden"
    return f"{base}#pending", f"{base}#pending#{asker_id}"


def _question(item: QuestionItem) -> Question:
    return to_model(Question, item)


def _question_item(q: Question) -> QuestionItem:
    gsi1pk, gsi2pk = _partitions(q.session_id, q.status, q.asker_id, q.id)
    return to_item(
        QuestionItem,
        q,
        pk=f"QUESTION#{q.id}",
        sk="QUESTION",
        gsi1pk=gsi1pk,
        gsi1sk=_top_key(q.votes, q.id),
        gsi2pk=gsi2pk,
        gsi2sk=q.id,
    )


def _key(question_id: str) -> QuestionItem:
    return QuestionItem(pk=f"QUESTION#{question_id}", sk="QUESTION")


def _reasons(err: TransactWriteError) -> list[str | None]:
    return [r.code if r is not None else None for r in (err.cancellation_reasons or [])]


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.05, 0.002 * (2 ** min(attempt, 5)))))


def moderate_question_in(tx: Transaction, before: Question, after: Question) -> QuestionItem:
    """The question's part of an organiser's moderation (``moderation.dynamo`` logs it in the same
    transaction): its status and index partitions, if its status is still ``before``'s."""
    gsi1pk, gsi2pk = _partitions(after.session_id, after.status, after.asker_id, after.id)
    key = _key(before.id)
    actions = [
        QuestionItem.status.set(after.status),
        QuestionItem.updated_at.set(after.updated_at),
        QuestionItem.gsi1pk.set(gsi1pk),
        QuestionItem.gsi2pk.set(gsi2pk),
    ]
    tx.update(key, actions=actions, condition=QuestionItem.status == before.status)
    return key


class DynamoQuestionsRepo:
    """The production :class:`backchannel.questions.store.QuestionsRepo`."""

    def __init__(self) -> None:
        bind()

    # -- questions ---------------------------------------------------------------------------------

    def put_question(self, question: Question) -> Question | None:
        if save_new(_question_item(question)):
            return None
        existing = self.get_question(question.id)
        if existing is None:
            raise id_not_yours("question", question.id)
        return existing

    def get_question(self, question_id: str, *, consistent: bool = False) -> Question | None:
        item = get_item(
            QuestionItem, f"QUESTION#{question_id.upper()}", "QUESTION", consistent_read=consistent
        )
        return _question(item) if item else None

    def moderate(self, before: Question, after: Question) -> None:
        gsi1pk, gsi2pk = _partitions(after.session_id, after.status, after.asker_id, before.id)
        actions = [
            QuestionItem.status.set(after.status),
            QuestionItem.answered.set(after.answered),
            QuestionItem.updated_at.set(after.updated_at),
            QuestionItem.gsi1pk.set(gsi1pk),
            QuestionItem.gsi2pk.set(gsi2pk),
        ]
        actions.append(
            QuestionItem.answered_at.set(after.answered_at)
            if after.answered_at
            else QuestionItem.answered_at.remove()
        )
        if not update_if(_key(before.id), actions, QuestionItem.status == before.status):
            raise Conflict("the question was moderated meanwhile: read it again and retry")
        fresh = self.get_question(before.id, consistent=True)
        if fresh is not None:
            after.votes = fresh.votes  # the count may have moved meanwhile; report the stored one

    # -- votes -------------------------------------------------------------------------------------

    def _change_votes(self, question: Question, member_id: str, at: str | None) -> tuple[Question, bool]:
        """Add (``at`` given) or remove a member's vote exactly once; see the module docstring."""
        adding = at is not None
        current = question
        for attempt in range(MAX_ATTEMPTS):
            if adding and current.status != APPROVED:
                raise Conflict(
                    f"question {question.id} is {current.status}: only approved questions take votes"
                )
            n = current.votes
            new = n + 1 if adding else n - 1
            vote = VoteItem(pk=f"QUESTION#{question.id}", sk=f"VOTE#{member_id}")
            condition = QuestionItem.votes == n
            if adding:
                condition &= QuestionItem.status == APPROVED
            try:
                with Transaction() as tx:
                    if adding:
                        vote.question_id = question.id
                        vote.session_id = question.session_id
                        vote.member_id = member_id
                        vote.created_at = at
                        tx.save(vote, condition=VoteItem.pk.does_not_exist())
                    else:
                        tx.delete(vote, condition=VoteItem.pk.exists())
                    tx.update(
                        _key(question.id),
                        actions=[
                            QuestionItem.votes.set(new),
                            QuestionItem.gsi1sk.set(_top_key(new, question.id)),
                        ],
                        condition=condition,
                    )
            except TransactWriteError as err:
                reasons = _reasons(err)
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    # already voted (adding) or nothing to withdraw (removing): nothing written
                    fresh = self.get_question(question.id, consistent=True) or current
                    return fresh, False
                if not reasons or not any(
                    r in ("ConditionalCheckFailed", "TransactionConflict") for r in reasons
                ):
                    raise
                _backoff(attempt)
                fresh = self.get_question(question.id, consistent=True)
                if fresh is None:
                    raise Conflict(f"question {question.id} was removed") from None
                current = fresh
                continue
            current.votes = new  # the count just committed
            return current, True
        raise Conflict("too many votes at the same moment: retry")

    def add_vote(self, question: Question, member_id: str, at: str) -> tuple[Question, bool]:
        fresh = self.get_question(question.id, consistent=True) or question
        return self._change_votes(fresh, member_id, at)

    def remove_vote(self, question: Question, member_id: str) -> bool:
        if get_item(VoteItem, f"QUESTION#{question.id}", f"VOTE#{member_id}", consistent_read=True) is None:
            return False
        fresh = self.get_question(question.id, consistent=True) or question
        return self._change_votes(fresh, member_id, None)[1]

    def voted(self, member_id: str, question_ids: list[str]) -> set[str]:
        keys = list(dict.fromkeys((f"QUESTION#{q}", f"VOTE#{member_id}") for q in question_ids))
        if not keys:
            return set()
        return {v.question_id for v in VoteItem.batch_get(keys) if isinstance(v, VoteItem)}

    # -- lists -------------------------------------------------------------------------------------

    def list_questions(
        self,
        session_id: str,
        sort: str,
        partitions: list[str],
        member_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Question]:
        """One page merged from the partitions the viewer may read (the approved ranking from each of
        its shards). ``top`` keys are ``<votes:08d>#<id>``, ``new`` keys the id (a ULID); both read
        newest/highest first."""
        base = f"SESSION#{session_id}#QUESTIONS"
        # partition -> (index, partition key, the format of its sort key)
        where = {
            "top": {
                **{
                    f"{APPROVED}.{n}": (QuestionItem.gsi1, f"{base}#TOP#{n}", "top")
                    for n in range(TOP_SHARDS)
                },
                HIDDEN: (QuestionItem.gsi1, f"{base}#hidden#TOP", "top"),
                PENDING: (QuestionItem.gsi1, f"{base}#pending", "top"),
                "mine": (QuestionItem.gsi2, f"{base}#pending#{member_id}", "new"),
            },
            "new": {
                APPROVED: (QuestionItem.gsi2, base, "new"),
                HIDDEN: (QuestionItem.gsi2, f"{base}#hidden", "new"),
                PENDING: (QuestionItem.gsi1, f"{base}#pending", "top"),
                "mine": (QuestionItem.gsi2, f"{base}#pending#{member_id}", "new"),
            },
        }[sort]
        names = {
            f"{sort}.{p}": p
            for partition in partitions
            if partition != "mine" or member_id
            for p in (
                [f"{APPROVED}.{n}" for n in range(TOP_SHARDS)] if f"{partition}.0" in where else [partition]
            )
        }
        positions = cursors.decode_positions(cursor, set(names))

        def sort_key(q: Question) -> str:
            return _top_key(q.votes, q.id) if sort == "top" else q.id

        def fetcher(partition: str):
            index, pk, fmt = where[partition]
            range_key = Item.gsi1sk if index is QuestionItem.gsi1 else Item.gsi2sk

            def fetch(before: str | None, n: int) -> list[Question]:
                if before and fmt != sort:  # pending questions have no votes: the formats convert
                    before = before.split("#", 1)[-1] if fmt == "new" else f"{_NO_VOTES}#{before}"
                condition = range_key < before if before else None
                result = index.query(pk, condition, scan_index_forward=False, limit=n, page_size=n)
                return [_question(i) for i in result if isinstance(i, QuestionItem)]

            return fetch

        found, following = merge_desc(
            {name: fetcher(p) for name, p in names.items()}, sort_key, limit, positions
        )
        return Page(found, cursors.encode(following) if following else None)

    # -- settings ----------------------------------------------------------------------------------

    def get_settings(self, session_id: str) -> QuestionSettings:
        item = get_item(QuestionSettingsItem, f"SESSION#{session_id}", "QUESTIONS#SETTINGS")
        return to_model(QuestionSettings, item) if item else QuestionSettings(session_id)

    def put_settings(self, settings: QuestionSettings) -> None:
        to_item(
            QuestionSettingsItem, settings, pk=f"SESSION#{settings.session_id}", sk="QUESTIONS#SETTINGS"
        ).save()
