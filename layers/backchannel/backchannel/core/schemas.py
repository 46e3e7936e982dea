"""Patterns every feature's schemas share (hashtag, handle, ULID, a version in a path), the query of a paged list and the
query of a feed (a paged list that can also be polled for what is newer)."""

from __future__ import annotations

from backchannel.core.validation import Int, Str

HASHTAG = r"[A-Za-z0-9_]{1,50}"


HANDLE = r"[A-Za-z0-9_]{2,30}"


ULID = r"[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}"


VERSION = Str(
    pattern=r"[1-9][0-9]{0,5}",
    pattern_hint="must be a published version number",
    strip=False,  # in a path: as it came
    description="a version number: 1, 2, 3, ...",
)


PAGE_QUERY = {
    "limit": Int(minimum=1, maximum=100, description="page size (default 25, at most 100)"),
    "cursor": Str(description="the nextCursor of the previous page"),
}


FEED_QUERY = {
    "since": Str(
        description=(
            "the sinceCursor of an earlier answer: only what arrived after it, oldest first up to limit "
            "and shown newest first; with since, cursor is not read (a poll wins)"
        ),
    ),
}
