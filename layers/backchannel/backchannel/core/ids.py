"""ULIDs: sortable by creation time, safe to generate on a client for offline capture."""

from __future__ import annotations

import os
import re
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID_RE = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
_lock = threading.Lock()
_last = (0, 0)


def _encode(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def new_ulid(now_ms: int | None = None) -> str:
    """A new ULID, monotonic within this process (same millisecond: randomness + 1)."""
    global _last
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    with _lock:
        last_ms, last_rand = _last
        if ms <= last_ms:
            ms, rand = last_ms, (last_rand + 1) & ((1 << 80) - 1)
        else:
            rand = int.from_bytes(os.urandom(10), "big")
        _last = (ms, rand)
    return _encode(ms, 10) + _encode(rand, 16)


def is_ulid(value: object) -> bool:
    return isinstance(value, str) and bool(_ULID_RE.match(value.upper()))


def ulid_time_ms(value: str) -> int:
    ms = 0
    for ch in value.upper()[:10]:
        ms = ms * 32 + _ALPHABET.index(ch)
    return ms
