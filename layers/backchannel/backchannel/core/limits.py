"""Fair limits: how often one member may write, per class of route, and one connection subscribe.

A writing route names its class where it is declared (``@app.post(..., limit="posts")``,
:mod:`backchannel.core.routes`), and before anything else it charges the caller's counter of that
class (:func:`charge_request`). A class has one or two limits, each ``count`` requests per
``seconds`` in fixed windows aligned to the epoch: a short one for a burst and a long one for the
steady rate (posts: 10 a minute and 120 an hour). Every request to the route counts, whatever it
answers, except one the limit refuses; a replay with the same ``Idempotency-Key`` is answered from
the stored response without running the route, so it is not counted again (a replayed client ``id``
without the key is: the route must run to know it is a replay).

Over a limit: :class:`~backchannel.core.errors.TooManyRequests` (429) naming the class, the limit
that refused (its rate and window) and, as ``Retry-After``, the seconds until that window ends.

Storage: one counter item per member, class and long window, changed by one conditional
``UpdateItem`` (``ADD`` to both windows' counts if both are below their limits), the only DynamoDB
write a limit adds to a request (:mod:`backchannel.core.dynamo.counters`). A member's counters have
keys of their own, so one member's script cannot heat another's partition. Deployments change the
defaults with the ``RateLimits`` template parameter (``RATE_LIMITS``; :func:`parse`).
"""

from __future__ import annotations

import functools
import math
import re
import time
from dataclasses import dataclass
from typing import Protocol

from backchannel.core.config import get_config, on_reset
from backchannel.core.errors import TooManyRequests


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int

    def __str__(self) -> str:
        unit = {60: "a minute", 3600: "an hour", 86400: "a day"}.get(self.seconds)
        return f"{self.count} {unit}" if unit else f"{self.count} per {self.seconds} s"


_MINUTE, _HOUR = 60, 3600

# class -> (its limits, the routes it covers). README's "Fair limits" table says the same.
DEFAULTS: dict[str, tuple[Limit, ...]] = {
    "posts": (Limit(10, _MINUTE), Limit(120, _HOUR)),
    "notes": (Limit(30, _MINUTE), Limit(600, _HOUR)),
    "questions": (Limit(5, _MINUTE), Limit(30, _HOUR)),
    "votes": (Limit(30, _MINUTE), Limit(300, _HOUR)),
    "follows": (Limit(30, _MINUTE), Limit(300, _HOUR)),
    "channels": (Limit(10, _MINUTE), Limit(60, _HOUR)),
    "packs": (Limit(10, _MINUTE), Limit(100, _HOUR)),
    "exports": (Limit(2, _MINUTE), Limit(10, _HOUR)),
    "reports": (Limit(5, _MINUTE), Limit(30, _HOUR)),
    "organising": (Limit(60, _MINUTE), Limit(1000, _HOUR)),
    "profile": (Limit(30, _MINUTE), Limit(300, _HOUR)),
    "subscribe": (Limit(30, _MINUTE), Limit(300, _HOUR)),  # per WebSocket connection
}
CLASSES = tuple(DEFAULTS)

_UNITS = {"s": 1, "m": _MINUTE, "h": _HOUR}
_LIMIT = r"(\d+)/(\d+)([smh])"
_ENTRY = re.compile(rf"([a-z]+)=({_LIMIT}(?:\+{_LIMIT})?)")


def parse(spec: str) -> dict[str, tuple[Limit, ...]]:
    """``posts=20/1m+200/1h, votes=60/1m``: per class, one limit or a short and a long one joined by
    ``+`` (count / window in s, m or h; the long window a multiple of the short). A class given
    here replaces its defaults; the others keep theirs. ValueError for anything else."""
    found: dict[str, tuple[Limit, ...]] = {}
    for entry in filter(None, (e.strip() for e in spec.replace(";", ",").split(","))):
        match = _ENTRY.fullmatch(entry)
        if not match or match.group(1) not in DEFAULTS:
            raise ValueError(
                f"RATE_LIMITS: {entry!r} is not class=count/window[+count/window] "
                f"(classes: {', '.join(CLASSES)}; windows like 30s, 1m, 1h)"
            )
        limits = tuple(Limit(int(n), int(w) * _UNITS[u]) for n, w, u in re.findall(_LIMIT, match.group(2)))
        if any(x.count < 1 or x.seconds < 1 for x in limits):
            raise ValueError(f"RATE_LIMITS: {entry!r}: counts and windows must be at least 1")
        if len(limits) == 2 and (
            limits[1].seconds <= limits[0].seconds or limits[1].seconds % limits[0].seconds
        ):
            raise ValueError(f"RATE_LIMITS: {entry!r}: the second window must be a multiple of the first")
        found[match.group(1)] = limits
    return found


@functools.cache
def limits() -> dict[str, tuple[Limit, ...]]:
    """Every class's limits: the defaults, with this deployment's ``RATE_LIMITS`` over them."""
    return {**DEFAULTS, **parse(get_config().rate_limits)}


on_reset(limits.cache_clear)


def clock() -> float:
    """Now, in epoch seconds (tests move time by replacing this function)."""
    return time.time()


class Counter(Protocol):
    def charge(self, key: str, windows: list[tuple[str, int]], expires_at: int) -> dict[str, int] | None:
        """Add one to each count ``(name, maximum)`` of ``key`` if every one is below its maximum
        (None), else change nothing and return the counts as they stood ({} when the store was too
        busy to say)."""


def charge(name: str, subject: str, counter: Counter, *, now: float | None = None) -> None:
    """Count one request of class ``name`` by ``subject`` (a member, a connection), or raise
    :class:`TooManyRequests` if one of the class's limits is reached."""
    rules = limits()[name]
    now = clock() if now is None else now
    second = int(now)
    longest = rules[-1]
    start = second - second % longest.seconds
    # The long window's count is "n"; a short window's, "w<its start>" (the item is the long window's).
    windows = [(limit, second - second % limit.seconds) for limit in rules]
    names = ["n" if limit is longest else f"w{began}" for limit, began in windows]
    counts = counter.charge(
        f"{name}#{subject}#{start}",
        [(n, limit.count) for n, (limit, _) in zip(names, windows, strict=True)],
        expires_at=start + longest.seconds + _MINUTE,
    )
    if counts is None:
        return
    full = [w for n, w in zip(names, windows, strict=True) if counts.get(n, 0) >= w[0].count]
    limit, began = max(full, key=lambda w: w[1] + w[0].seconds) if full else (windows[0][0], second)
    retry_after = max(1, math.ceil(began + limit.seconds - now)) if full else 1
    raise TooManyRequests(
        f"you reached the {name} limit ({limit}): try again in {retry_after} s",
        limit=name,
        rate=limit.count,
        window=limit.seconds,
        retry_after=retry_after,
    )


def charge_request(name: str, event: dict) -> None:
    """Charge the caller of an API Gateway request (401 first if there is none)."""
    from backchannel.core.auth import resolve_caller

    caller = resolve_caller(event, required=True)
    assert caller is not None
    charge(name, caller.member_id, request_counter())


@functools.cache
def request_counter() -> Counter:
    from backchannel.core.dynamo.counters import DynamoCounter

    return DynamoCounter.requests()


@functools.cache
def connection_counter() -> Counter:
    from backchannel.core.dynamo.counters import DynamoCounter

    return DynamoCounter.connections()


on_reset(request_counter.cache_clear)
on_reset(connection_counter.cache_clear)
