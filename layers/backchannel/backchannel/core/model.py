"""What every feature shares: the caller, a page of results, time stamps, and input read only after
the caller is authorised."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


Input = dict | Callable[[], dict]


def read_input(data: Input) -> dict:
    """Input arrives as a thunk from the API so that it is validated only after the caller is
    authorised: a caller who may not act learns nothing from validation messages."""
    return data() if callable(data) else data


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class Caller:
    """Who is asking: a signed-in member (from the JWT claims) or nobody."""

    member_id: str
    username: str = ""
    groups: frozenset[str] = frozenset()
    email: str | None = None

    @property
    def may_create_events(self) -> bool:
        return "organisers" in self.groups
