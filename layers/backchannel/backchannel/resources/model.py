"""Contributions of links and papers, the sources they come from, and the shared resources they add
up to. Pure."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Contribution:
    """One member's sharing of one resource in one scope (``session/<id>`` or ``event/<id>``)."""

    scope: str
    url: str
    kind: str
    doi: str | None
    member_id: str

    @property
    def resource_id(self) -> str:
        return resource_id(self.url)


@dataclass(frozen=True)
class SharedResource:
    """A resource of a scope, as the API lists it."""

    id: str
    url: str
    kind: str
    doi: str | None
    shares: int

    def to_json(self) -> dict:
        return {"id": self.id, "url": self.url, "kind": self.kind, "doi": self.doi, "shares": self.shares}


@dataclass(frozen=True)
class Source:
    """What contributes resources: ``post``/``note`` with its id, or ``summary`` with its session's id."""

    kind: str
    id: str

    @property
    def key(self) -> str:
        return f"{self.kind}#{self.id}"


@dataclass
class Reconciled:
    added: int = 0
    removed: int = 0
    passes: int = 0


def resource_id(url: str) -> str:
    """A resource's id: a hash of its normalised URL (the same in every scope)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
