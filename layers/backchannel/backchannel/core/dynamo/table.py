"""The main table: its indexes, the base ``Item`` every feature's items derive from (``type`` tells
which model a raw item is), and its lazy binding to configuration. Each feature keeps its own items
(``<feature>/items.py``); the key design of all of them is in ``docs/architecture.md``."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    DiscriminatorAttribute,
    MapAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from backchannel.core.config import get_config, on_reset


class Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Item(Model):
    """Every item of the main table; ``type`` tells which model a raw item is."""

    class Meta:
        table_name: str | None = None  # bound from configuration on first use, see bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi2 = Gsi2()

    @classmethod
    def _get_connection(cls):
        # Every model of the table shares Item's connection, so a cold start creates one botocore
        # client, not one per model class (each costs tens of milliseconds).
        return Model._get_connection.__func__(Item)


class TableBinding:
    """The models of one table, pointed lazily at the configured table with timeouts well inside API
    Gateway's 29 s. Models of a table share its root's Meta and (through the root's
    ``_get_connection``) its one connection, so binding the root binds them all."""

    def __init__(self, root: type[Model], setting: str) -> None:
        self.root = root
        self.setting = setting
        self.bound: str | None = None
        on_reset(self.unbind)

    def bind(self) -> None:
        cfg = get_config()
        name = cfg.require(self.setting)
        if self.bound == name:
            return
        meta = self.root.Meta
        meta.table_name = name
        meta.region = cfg.region
        meta.connect_timeout_seconds = cfg.ddb_connect_timeout_s
        meta.read_timeout_seconds = cfg.ddb_read_timeout_s
        meta.max_retry_attempts = cfg.ddb_max_retries
        self.root._connection = None
        self.bound = name

    def unbind(self) -> None:
        self.bound = None
        self.root._connection = None


_binding = TableBinding(Item, "data_table_name")


bind = _binding.bind


def plain(value: Any) -> Any:
    """A map attribute as plain JSON-like data (nested maps as dicts, whole floats as ints)."""
    if isinstance(value, MapAttribute):
        value = value.attribute_values
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
