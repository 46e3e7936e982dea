"""What a post or note says beyond its words: hashtags, mentions and links, and whether the text is
acceptable at all.

Everything here runs on request paths and on 64 KiB Markdown note bodies, so every scanner is
linear in the length of its input: the regular expressions either have bounded quantifiers or a
single greedy run with nothing after it to backtrack into, and the rest is plain loops.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from typing import NamedTuple

__all__ = [
    "LinkMatch",
    "TextProblem",
    "clean_text",
    "extract_hashtags",
    "extract_links",
    "extract_mentions",
    "link_spans",
    "strip_trailing_punctuation",
]

MAX_HASHTAG_CHARS = 100

# --------------------------------------------------------------------------------------------------
# clean text
# --------------------------------------------------------------------------------------------------


class TextProblem(ValueError):
    """Why a text was refused, phrased for the client: the API puts ``message`` next to the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_LINE_BREAKS = "\n\t\r"
_SEPARATORS = "\u2028\u2029"
# Categories that show as nothing. Not Co or Cn: private-use glyphs and emoji newer than this
# Python's Unicode tables are visible to the reader.
_BLANK = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


def _is_noncharacter(cp: int) -> bool:
    """U+FDD0..U+FDEF and the last two code points of every plane are reserved for a program's
    internal use; in interchanged text they are a sign of corruption, not of meaning."""
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def clean_text(text: str | bytes, *, max_chars: int, multiline: bool) -> str:
    """The text as it will be stored, or a ``TextProblem`` saying why not.

    The limit is counted in code points after NFC, so a user who types ``é`` as ``e`` plus a
    combining accent is not charged twice, and after line endings become ``\\n`` so the count does
    not depend on the client's platform. Lone ``\\r`` (old Mac line ends) becomes ``\\n`` as well.

    Text that holds only whitespace and invisible format characters (zero-width spaces, joiners) is
    refused as empty: it would show as a blank post.
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            raise TextProblem(f"is not valid UTF-8 (at byte {err.start})") from None
    if not isinstance(text, str):
        raise TextProblem("must be a string")
    # Lone surrogates arrive through JSON escapes such as "\ud800"; they cannot be encoded to UTF-8,
    # so they must be refused before anything tries to store them.
    for i, ch in enumerate(text):
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise TextProblem(f"must not contain unpaired surrogates ({_describe(ch)} at position {i})")
    text = unicodedata.normalize("NFC", text).strip()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text or all(unicodedata.category(ch) in _BLANK for ch in text):
        raise TextProblem("must not be empty")
    for i, ch in enumerate(text):
        cp = ord(ch)
        if cp < 0x20 or 0x7F <= cp <= 0x9F:
            if multiline and ch in _LINE_BREAKS:
                continue
            what = {"\n": "line breaks", "\r": "line breaks", "\t": "tabs"}.get(ch, "control characters")
            raise TextProblem(f"must not contain {what} ({_describe(ch)} at position {i})")
        if ch in _SEPARATORS and not multiline:
            raise TextProblem(f"must not contain line breaks ({_describe(ch)} at position {i})")
        if _is_noncharacter(cp):
            raise TextProblem(f"must not contain noncharacters ({_describe(ch)} at position {i})")
    if len(text) > max_chars:
        raise TextProblem(f"must be at most {max_chars} characters (it has {len(text)})")
    return text


# --------------------------------------------------------------------------------------------------
# links
# --------------------------------------------------------------------------------------------------

# A candidate is a run of characters that may appear in a URL as people paste it: anything but
# whitespace and control characters, the delimiters people and Markdown put around URLs (< > " `),
# and a "](" pair, which ends the link text of a Markdown link "[https://a.org](https://b.org)".
# The alternatives are disjoint, so the run is matched without backtracking.
URL_RUN = r"(?:[^\s<>\"`\]\x00-\x1f\x7f-\x9f]|\](?!\())+"
_LINK = re.compile(
    r"(?<![^\W_])"  # not glued to a preceding letter or digit ("xhttp://", "foowww.")
    r"(?:https?://|(?<![.@/:\-])www\.)" + URL_RUN,
    re.IGNORECASE,
)
# What counts as a host right after "://" or "www.": a letter, digit or an IPv6 bracket.
_HOST_START = re.compile(r"[^\W_]|\[")
# After "www." there must be at least one more label and a dot, or "www.example" would be a link.
_WWW_HOST = re.compile(r"[^\W_][\w\-]{0,62}\.[^\W_]", re.IGNORECASE)

# Trailing characters that end a sentence or a Markdown emphasis rather than a URL. GitHub's
# autolinker strips the same ASCII set; closing brackets are handled by balance below.
_TRAILING = set(".,;:!?'\"*_~")
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def strip_trailing_punctuation(candidate: str) -> str:
    """Drop what a writer put after a URL (or DOI) rather than in it.

    A closing bracket stays when the candidate holds more openers than closers of its kind, so
    ``https://en.wikipedia.org/wiki/Learning_(disambiguation)`` keeps its ``)`` and
    ``(see https://x.org/a)`` loses it. Any non-ASCII punctuation at the end (curly quotes, CJK
    full stops, guillemets) is taken as prose: IRIs rarely end in it, sentences often do.
    """
    opens = {o: candidate.count(o) for o in "([{"}
    closes = {c: candidate.count(c) for c in _CLOSERS}
    end = len(candidate)
    while end:
        ch = candidate[end - 1]
        if ch in _TRAILING or (ord(ch) > 127 and unicodedata.category(ch)[0] == "P"):
            end -= 1
        elif ch in _CLOSERS and closes[ch] > opens[_CLOSERS[ch]]:
            closes[ch] -= 1
            end -= 1
        else:
            break
    return candidate[:end]


class LinkMatch(NamedTuple):
    start: int
    end: int
    url: str  # as written, except that a bare "www." link has "https://" put in front


def link_spans(text: str) -> list[LinkMatch]:
    """Every link in the text with where it sits, so other scanners can tell that a ``#`` or ``@``
    belongs to a URL (``https://x.org/p#sec``, ``https://mastodon.social/@alice``)."""
    found: list[LinkMatch] = []
    for m in _LINK.finditer(text):
        raw = strip_trailing_punctuation(m.group())
        www = m.group()[:4].lower() == "www."
        rest = raw[4:] if www else raw[m.group().index("://") + 3 :]
        if not rest or not _HOST_START.match(rest) or (www and not _WWW_HOST.match(rest)):
            continue
        found.append(LinkMatch(m.start(), m.start() + len(raw), "https://" + raw if www else raw))
    return found


def extract_links(text: str) -> list[str]:
    """The http(s) and ``www.`` links in the text, in order, each once (by exact string)."""
    return list(dict.fromkeys(match.url for match in link_spans(text)))


class _Spans:
    """Answers "is this position inside a link?" by bisection: links never overlap, so only the last
    one starting at or before the position can hold it."""

    def __init__(self, spans: list[LinkMatch]) -> None:
        self._starts = [s.start for s in spans]
        self._ends = [s.end for s in spans]

    def __contains__(self, pos: int) -> bool:
        i = bisect_right(self._starts, pos) - 1
        return i >= 0 and pos < self._ends[i]


# --------------------------------------------------------------------------------------------------
# hashtags
# --------------------------------------------------------------------------------------------------

_ZWNJ = "\u200c"


def _tag_char(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "LM" or cat in ("Nd", "Pc")


def _word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "Pc"


def _key(tag: str) -> str:
    # casefold() can decompose ("\u01f0" folds to "j" + U+030C), hence NFC once more afterwards.
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", tag).casefold())


def extract_hashtags(text: str) -> list[str]:
    """The hashtags of a text, as written (NFC) but without ``#``, each once, first spelling wins.

    A tag is ``#`` followed by letters, marks, decimal digits and connector punctuation, with at
    least one letter or connector so ``#1`` stays a number, as on Mastodon. A zero-width non-joiner
    inside a tag is kept, because Persian and several Indic scripts need it inside words. ``#`` right
    after a word character, ``&`` or ``/``, or anywhere inside a link, does not start a tag: that
    keeps ``a#b``, HTML entities (``&#x27;``) and URL fragments out. A run longer than
    ``MAX_HASHTAG_CHARS`` is not a hashtag at all; cutting it short would invent a tag nobody wrote.
    """
    text = unicodedata.normalize("NFC", text)
    links = _Spans(link_spans(text))
    seen: dict[str, str] = {}
    n = len(text)
    pos = text.find("#")
    while pos != -1:
        end = pos + 1
        while end < n and (
            _tag_char(text[end])
            or (text[end] == _ZWNJ and end + 1 < n and _tag_char(text[end + 1]) and end > pos + 1)
        ):
            end += 1
        tag = text[pos + 1 : end]
        before = text[pos - 1] if pos else " "
        if (
            tag
            and len(tag) <= MAX_HASHTAG_CHARS
            and not (_word_char(before) or before in "&/")
            and any(unicodedata.category(ch)[0] == "L" or unicodedata.category(ch) == "Pc" for ch in tag)
            and pos not in links
        ):
            seen.setdefault(_key(tag), tag)
        pos = text.find("#", end)
    return list(seen.values())


# --------------------------------------------------------------------------------------------------
# mentions
# --------------------------------------------------------------------------------------------------

_MENTION = re.compile(
    r"(?<![\w=/@])@"  # a word character before "@" makes it an email address (bob@example.org)
    r"([A-Za-z0-9_]{2,30})(?!\w)"
    r"(?:@((?:[^\W_][\w\-]{0,62}\.){1,10}[^\W\d_][\w\-]{0,62})(?![\w\-]|\.[^\W_]))?"
)


def extract_mentions(text: str) -> list[str]:
    """``@handle`` and fediverse ``@user@instance.tld`` mentions without the leading ``@``, each
    once (case-insensitively; handles and domains are both case-insensitive), first spelling wins.

    ``.@alice`` counts, as it does on Twitter; ``bob@example.org`` and anything inside a link does
    not. A handle followed by ``@`` and something that is not a domain still mentions the handle.
    """
    links = _Spans(link_spans(text))
    seen: dict[str, str] = {}
    for m in _MENTION.finditer(text):
        if m.start() in links:
            continue
        handle = m.group(1) + ("@" + m.group(2) if m.group(2) else "")
        seen.setdefault(handle.casefold(), handle)
    return list(seen.values())
