"""Conditional writes and single reads: the shared connection for transactions, how a refused
condition looks (an expected race or a repeat, which the data layer turns into a domain answer),
which items of a transaction were refused, saving a new item, and reading one item of a known
class."""

from __future__ import annotations

from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import (
    DeleteError,
    DoesNotExist,
    PutError,
    PynamoDBException,
    TransactWriteError,
    UpdateError,
)
from pynamodb.transactions import TransactWrite

from backchannel.core.dynamo.table import Item, bind


def connection() -> Connection:
    """The models' own connection (and so their one botocore client), for transactions."""
    bind()
    return Item._get_connection().connection


def condition_failed(err: PynamoDBException) -> bool:
    """A write refused by its condition (what an expected race or a repeat looks like)."""
    return getattr(err, "cause_response_code", None) == "ConditionalCheckFailedException"


def _failed_positions(err: TransactWriteError) -> list[int]:
    """The positions, in the request as sent, of the items whose conditions refused a transaction.
    To ask about a particular item, use :meth:`Transaction.refused`."""
    reasons = err.cancellation_reasons or []
    return [i for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"]


class Transaction(TransactWrite):
    """A write transaction on the models' connection that can tell which of its items were refused.

    DynamoDB gives a cancelled transaction's reasons by position in the request, and PynamoDB sends
    condition checks, then deletes, then puts, then updates, whatever order they were added in: so a
    position in the order of the calls names the wrong item as soon as a transaction mixes kinds."""

    def __init__(self) -> None:
        super().__init__(connection=connection())

    def refused(self, err: TransactWriteError, *items: Item) -> bool:
        """Whether the condition of any of ``items`` (of any item, when none is named) refused."""
        sent = [*self._condition_check_items, *self._delete_items, *self._put_items, *self._update_items]
        failed = set(_failed_positions(err))
        keys = {_key(op) for position, op in enumerate(sent) if position in failed}
        return bool(keys) if not items else any((item.pk, item.sk) in keys for item in items)


def _key(operation: dict) -> tuple[str, str]:
    key = operation.get("Key") or operation["Item"]
    return key["pk"]["S"], key["sk"]["S"]


def save_new(item: Item) -> bool:
    """Save an item whose key must be new; False if an item has it already (a replay or a race)."""
    try:
        item.save(condition=type(item).pk.does_not_exist())
        return True
    except PutError as err:
        if condition_failed(err):
            return False
        raise


def get_item[I: Item](item_class: type[I], pk: str, sk: str, **read: Any) -> I | None:
    """The item of this key if there is one and it is an ``item_class`` (``read``: ``get``'s
    options, such as ``consistent_read``)."""
    try:
        item = item_class.get(pk, sk, **read)
    except DoesNotExist:
        return None
    return item if isinstance(item, item_class) else None


def update_if(item: Item, actions: list, condition: Any) -> bool:
    """Apply ``actions`` to ``item`` only if ``condition`` holds; False when it does not (``item``
    then holds the new values on success, as with ``Model.update``)."""
    try:
        item.update(actions=actions, condition=condition)
        return True
    except UpdateError as err:
        if condition_failed(err):
            return False
        raise


def delete_if(item: Item, condition: Any) -> bool:
    """Delete ``item`` only if ``condition`` holds; False when it does not."""
    try:
        item.delete(condition=condition)
        return True
    except DeleteError as err:
        if condition_failed(err):
            return False
        raise
