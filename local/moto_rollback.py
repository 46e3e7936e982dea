"""A failed ``TransactWriteItems`` leaves its table's stream as DynamoDB would: without its writes.

moto rolls a cancelled transaction back by putting back a deep copy of each table it touched, taken
before the transaction, stream shard included. Two things go wrong for a stream reader (the pumps):

* the writes the transaction made before it failed stay as records in the replaced shard, which an
  iterator taken earlier still reads: records of changes that never happened;
* the copy's shard numbers its next records from where the copy was taken, so a reader that resumes
  after the last sequence number it read skips as many records of later writes as the phantoms were.

On AWS a cancelled transaction writes nothing and streams nothing. :func:`install` wraps moto's
``transact_write_items``: when it raises, each table keeps its live shard, cut back to the records it
had before the call, and nothing else of moto changes. Idempotent.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["install"]

_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        shards = {
            name: (table.stream_shard, len(table.stream_shard.items))
            for name, table in self.tables.items()
            if getattr(table, "stream_shard", None) is not None
        }
        try:
            return original(self, transact_items)
        except Exception:
            for name, (shard, length) in shards.items():
                table = self.tables.get(name)
                if table is not None and table.stream_shard is not shard:
                    del shard.items[length:]
                    shard.table = table
                    table.stream_shard = shard
            raise

    DynamoDBBackend.transact_write_items = transact_write_items
    _INSTALLED = True
