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


def encode_ulid(ms: int, randomness: int) -> str:
    """The ULID of a time stamp in milliseconds and 80 bits of randomness: the 128-bit number they make,
    as 26 characters of Crockford base32 (5 bits each, most significant first)."""
    value = (ms << 80) | randomness
    return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


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
    return encode_ulid(ms, rand)


def is_ulid(value: object) -> bool:
    return isinstance(value, str) and bool(_ULID_RE.match(value.upper()))


def ulid_time_ms(value: str) -> int:
    ms = 0
    for ch in value.upper()[:10]:
        ms = ms * 32 + _ALPHABET.index(ch)
    return ms
