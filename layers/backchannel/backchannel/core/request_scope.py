"""Caches that live for one request. A warm Lambda container serves many requests with the same
objects; what one request read must not be trusted by the next, yet within a request the same item
is often needed by several rules (the event and the caller's membership, say)."""

from __future__ import annotations

from typing import Any

_caches: list[dict[Any, Any]] = []


def cache() -> dict[Any, Any]:
    """A dict emptied at the start of every request."""
    created: dict[Any, Any] = {}
    _caches.append(created)
    return created


def begin() -> None:
    for each in _caches:
        each.clear()
