"""A change of the main table as the domain-event rules see it (``Change``: the old and new images),
the ``DomainEvent`` they produce, and the helpers every rule uses to pick public fields."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

SOURCE = "backchannel"


SCHEMA_VERSION = 1


# Fixed namespace of the uuid5 event ids: changing it changes every id, so it never changes.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c3f5e-2b7a-4d0e-9a51-3c8f2d9b7e10")


# Attributes of every item that belong to the table, not to the entity.
INTERNAL = frozenset({"pk", "sk", "type", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "seq", "ttl", "expiration"})


# Bookkeeping that changes on every write: reported, but never a change on its own.
BOOKKEEPING = frozenset({"updatedAt", "version"})


SHARED_VISIBILITIES = frozenset({"attendees", "public"})


Item = dict[str, Any]


@dataclass(frozen=True)
class DomainEvent:
    """One event for the bus: ``detail_type`` and ``detail`` as EventBridge carries them."""

    detail_type: str
    detail: dict[str, Any]
    source: str = SOURCE
    resources: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The domain event's own id (``detail.domainEventId``), stable across redeliveries."""
        return self.detail["domainEventId"]


def domain_event_id(record_id: str, detail_type: str) -> str:
    """The id of the ``detail_type`` event of one stream record: the same on every redelivery."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{record_id}/{detail_type}"))


@dataclass(frozen=True)
class Change:
    old: Item | None
    new: Item | None
    record_id: str
    at: str

    @property
    def current(self) -> Item:
        """The newest image there is (the old one of a removal)."""
        return self.new if self.new is not None else self.old or {}

    def event(self, detail_type: str, fields: dict[str, Any], resources: Iterable[str] = ()) -> DomainEvent:
        detail = {
            "schemaVersion": SCHEMA_VERSION,
            "domainEventId": domain_event_id(self.record_id, detail_type),
            "occurredAt": self.at,
            **fields,
        }
        return DomainEvent(detail_type=detail_type, detail=detail, resources=list(resources))


Rule = Callable[[Change], list[DomainEvent]]


def public_fields(item: Item | None, only: Iterable[str] | None = None) -> dict[str, Any]:
    """The entity's own fields (table attributes dropped), optionally just ``only``."""
    if item is None:
        return {}
    names = only if only is not None else item.keys()
    return {name: as_json(item[name]) for name in names if name in item and name not in INTERNAL}


def as_json(value: Any) -> Any:
    """Sets (string sets of DynamoDB) as sorted lists, so every detail is plain JSON."""
    if isinstance(value, set | frozenset):
        return sorted(as_json(v) for v in value)
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value


def changed_fields(old: Item | None, new: Item | None, names: Iterable[str] | None = None) -> list[str]:
    """Sorted names of the public fields whose value differs (bookkeeping fields left out)."""
    old, new = old or {}, new or {}
    candidates = set(names) if names is not None else (set(old) | set(new))
    return sorted(
        name
        for name in candidates - INTERNAL - BOOKKEEPING
        if comparable(old.get(name)) != comparable(new.get(name))
    )


def comparable(value: Any) -> Any:
    return sorted(value) if isinstance(value, set | frozenset) else value


def roles_of(item: Item | None) -> set[str]:
    return set((item or {}).get("roles") or ())


def deleted(item: Item | None) -> bool:
    return item is None or bool(item.get("deleted"))
