"""Which characters a plain string field refuses, and the same rule as a JSON Schema ``pattern``.

A name, a title or a handle must not hide what it shows: control characters (Unicode categories Cc, Cs,
Co and the line and paragraph separators) and invisible format characters (category Cf: bidi overrides
and isolates such as U+202E, zero-width spaces, U+FEFF, tags) are refused, but the zero-width joiners
that Persian and Indic spelling and emoji sequences need. :func:`text_pattern` writes that rule for
``openapi.json``, from the very predicates that :class:`backchannel.core.validation.Str` checks, so the
document and the service cannot disagree about a character.
"""

from __future__ import annotations

import functools
import sys
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


def _class(codepoints: list[int], *, negated: bool) -> str:
    """A regex character class of ``codepoints``, as ranges: ``\\uXXXX`` in the Basic Multilingual
    Plane (read alike by Python and ECMA-262 regexes), the character itself above it."""
    parts, start = [], None
    for i, cp in enumerate(codepoints):
        if start is None:
            start = cp
        if i + 1 < len(codepoints) and codepoints[i + 1] == cp + 1:
            continue
        parts.append(_char(start) if start == cp else f"{_char(start)}-{_char(cp)}")
        start = None
    return f"[{'^' if negated else ''}{''.join(parts)}]"


def _char(cp: int) -> str:
    return f"\\u{cp:04x}" if cp <= 0xFFFF else chr(cp)


def is_text_pattern(pattern: str) -> bool:
    """Whether ``pattern`` is one that :func:`text_pattern` wrote."""
    return pattern in _WRITTEN


_WRITTEN: set[str] = set()


@functools.lru_cache(maxsize=8)
def text_pattern(*, min_len: int, multiline: bool) -> str:
    """The JSON Schema ``pattern`` of a string that ``Str`` accepts: no refused character once the
    surrounding white space is stripped, and at least ``min_len`` characters left (only when the
    document is built: it reads every code point once)."""
    refused = [
        cp
        for cp in range(sys.maxunicode + 1)
        if not 0xD800 <= cp <= 0xDFFF  # lone surrogates are no text: regex engines in Rust refuse them
        and (is_control(chr(cp), allow_newlines=multiline) or invisible_format(chr(cp)))
    ]
    allowed = _class(refused, negated=True)
    shown = allowed[:-1] + "\\s]"  # neither refused nor white space (\s: what str.strip() strips)
    if min_len <= 0:
        pattern = f"^\\s*({shown}({allowed}*{shown})?)?\\s*$"
    elif min_len == 1:
        pattern = f"^\\s*{shown}({allowed}*{shown})?\\s*$"
    else:
        pattern = f"^\\s*{shown}{allowed}{{{min_len - 2},}}{shown}\\s*$"
    _WRITTEN.add(pattern)
    return pattern
