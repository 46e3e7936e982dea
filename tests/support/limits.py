"""Fair limits in tests: set a stack's ``RateLimits`` as a deployment would, and move the limits' clock.

A test that legitimately writes faster than a person (an offline replay, a benchmark) raises the
limit of its own stack with :func:`rate_limits`; the defaults stay what the README documents.
"""

from __future__ import annotations

from typing import Any


def rate_limits(stack: Any, spec: str) -> None:
    """Give every function of ``stack`` (a ``local.provision.LocalStack``) the ``RATE_LIMITS`` that
    the template parameter ``RateLimits=spec`` would give it (the handlers re-read their settings)."""
    for function in stack.functions.values():
        function.environment["RATE_LIMITS"] = spec


class Clock:
    """The limits' clock, held still at ``now`` (epoch seconds) until moved: ``clock.now += 60``."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def frozen_clock(monkeypatch: Any, now: float = 1_800_000_000.0) -> Clock:
    """Replace ``backchannel.core.limits.clock`` with a :class:`Clock` at ``now`` (a whole hour by
    default, so that windows start there) for the rest of the test."""
    from backchannel.core import limits

    clock = Clock(now)
    monkeypatch.setattr(limits, "clock", clock)
    return clock
