"""What every feature shares: the caller, a page of results, time stamps, and input read only after
the caller is authorised."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from backchannel.core.errors import NotFound

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


@functools.cache
def camel(name: str) -> str:
    """``code_of_conduct_url`` -> ``codeOfConductUrl``: an attribute's name in the API's JSON."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camel_json(obj: object, *names: str) -> dict[str, Any]:
    """``{"camelCase": obj.snake_case}`` for the attributes named, in that order: the plain fields of
    a resource's public JSON (each ``to_json`` adds what is not a plain field)."""
    return {camel(name): getattr(obj, name) for name in names}


def same_fields(a: object, b: object, *names: str) -> bool:
    """Whether ``a`` and ``b`` agree on the attributes named (a replayed client id must carry the same
    content as the item it names)."""
    values = operator.attrgetter(*names)
    return values(a) == values(b)


def id_not_yours(kind: str, item_id: str) -> NotFound:
    """What a client id held by someone else's item, or by a deleted one, answers: one 404 whether
    that item is visible to the caller, hidden from them or gone, so reusing an id reveals nothing
    (the owner's own replay answers 200, and their own id with other content 409)."""
    return NotFound(f"no {kind} {item_id} of yours: choose another id", field="id")


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
