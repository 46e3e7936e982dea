"""Conditional writes: the shared connection for transactions, and how a refused condition looks (an
expected race or a repeat, which the data layer turns into a domain answer)."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from backchannel.core.dynamo.table import Item, bind


def connection() -> Connection:
    """The models' own connection (and so their one botocore client), for transactions."""
    bind()
    return Item._get_connection().connection


def condition_failed(err: PynamoDBException) -> bool:
    """A write refused by its condition (what an expected race or a repeat looks like)."""
    return getattr(err, "cause_response_code", None) == "ConditionalCheckFailedException"


def failed_conditions(err: TransactWriteError) -> list[int]:
    reasons = err.cancellation_reasons or []
    return [i for i, r in enumerate(reasons) if r is not None and r.code == "ConditionalCheckFailed"]
