"""Which characters a plain string field refuses (``backchannel.core.validation.Str``).

A name, a title or a handle must not hide what it shows: control characters (Unicode categories Cc, Cs,
Co and the line and paragraph separators) and invisible format characters (category Cf: bidi overrides
and isolates such as U+202E, zero-width spaces, U+FEFF, tags) are refused, but the zero-width joiners
that Persian and Indic spelling and emoji sequences need. ``openapi.json`` does not state this rule as
a ``pattern``: written as one it made schemathesis' generation too slow (see the README's fuzzer).
"""

from __future__ import annotations

import unicodedata

# Zero-width non-joiner and joiner: Persian and Indic spelling and emoji sequences need them.
_JOINERS = "\u200c\u200d"
_NEWLINES = "\n\r\t"


def invisible_format(text: str, *, joiners: bool = True) -> str | None:
    """The first invisible format character of ``text`` (Unicode category Cf: bidi overrides and
    isolates such as U+202E, zero-width spaces, U+FEFF, tags), ``None`` if it has none. In a name they
    disguise what is shown (``"\u202egnp.exe"`` reads as ``exe.png``) wherever the name travels."""
    for ch in text:
        if unicodedata.category(ch) == "Cf" and not (joiners and ch in _JOINERS):
            return ch
    return None


def without_invisible_format(text: str) -> str:
    """``text`` with its invisible format characters (joiners kept) removed: names we did not validate
    (a profile's first display name, taken from the sign-in)."""
    return "".join(ch for ch in text if ch in _JOINERS or unicodedata.category(ch) != "Cf")


def is_control(ch: str, *, allow_newlines: bool) -> bool:
    if ch in _NEWLINES and allow_newlines:
        return False
    return unicodedata.category(ch) in ("Cc", "Cs", "Co") or ch in "\u2028\u2029"


def has_control(text: str, allow_newlines: bool) -> bool:
    return any(is_control(ch, allow_newlines=allow_newlines) for ch in text)
