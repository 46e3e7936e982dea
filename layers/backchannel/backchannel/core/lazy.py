"""AWS clients made on first use by the objects that hold them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class LazyClient:
    """``client = LazyClient(make)``: the holder's ``_client`` (one given to its constructor, say), else
    one made by ``make`` the first time it is asked for, so a holder that never calls AWS pays nothing."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make

    def __get__(self, holder: Any, owner: type | None = None) -> Any:
        if holder is None:
            return self
        if holder._client is None:
            holder._client = self.make()
        return holder._client
