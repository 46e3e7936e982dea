"""The limits' rules without AWS: the RATE_LIMITS grammar, and which window refuses and for how long."""

from __future__ import annotations

import pytest

from backchannel.core import config, limits
from backchannel.core.errors import TooManyRequests
from backchannel.core.limits import Limit


class MemoryCounter:
    """The counter's contract in memory: add one to every count if all are below their maxima."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, int]] = {}

    def charge(self, key, windows, expires_at):
        item = self.items.setdefault(key, {})
        if any(item.get(name, 0) >= most for name, most in windows):
            return dict(item)
        for name, _ in windows:
            item[name] = item.get(name, 0) + 1
        return None


def test_the_grammar_of_rate_limits():
    assert limits.parse("") == {}
    assert limits.parse("posts=20/1m+200/1h, votes=60/30s") == {
        "posts": (Limit(20, 60), Limit(200, 3600)),
        "votes": (Limit(60, 30),),
    }
    for bad in (
        "posts",
        "posts=1",
        "posts=1/1d",
        "nonsense=1/1m",
        "posts=0/1m",
        "posts=5/1h+50/1m",
        "posts=1/7s+2/1m",
    ):
        with pytest.raises(ValueError, match="RATE_LIMITS"):
            limits.parse(bad)


def test_a_deployment_overrides_only_the_classes_it_names(monkeypatch):
    monkeypatch.setenv("RATE_LIMITS", "posts=20/1m")
    config.reset()
    try:
        table = limits.limits()
        assert table["posts"] == (Limit(20, 60),)
        assert table["votes"] == limits.DEFAULTS["votes"]
    finally:
        monkeypatch.delenv("RATE_LIMITS")
        config.reset()


def test_the_window_that_refuses_says_when_to_come_back(monkeypatch):
    monkeypatch.setattr(limits, "limits", lambda: {"posts": (Limit(2, 60), Limit(3, 3600))})
    counter, start = MemoryCounter(), 1_800_000_000
    limits.charge("posts", "m1", counter, now=start + 10)
    limits.charge("posts", "m1", counter, now=start + 10.5)
    with pytest.raises(TooManyRequests) as burst:
        limits.charge("posts", "m1", counter, now=start + 10.5)
    assert burst.value.members == {"limit": "posts", "rate": 2, "window": 60, "retryAfter": 50}
    assert burst.value.headers == {"Retry-After": "50"}
    limits.charge("posts", "m2", counter, now=start + 10)  # another member: a key of its own
    limits.charge("posts", "m1", counter, now=start + 60)
    with pytest.raises(TooManyRequests) as hour:
        limits.charge("posts", "m1", counter, now=start + 61)
    assert (hour.value.members["window"], hour.value.members["retryAfter"]) == (3600, 3600 - 61)


def test_a_busy_store_refuses_for_a_second():
    class Busy:
        def charge(self, key, windows, expires_at):
            return {}

    with pytest.raises(TooManyRequests) as err:
        limits.charge("posts", "m1", Busy(), now=1_800_000_000)
    assert err.value.members["retryAfter"] == 1
