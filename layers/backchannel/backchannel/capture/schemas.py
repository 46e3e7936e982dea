"""Request and response schemas of posts, notes and summaries: they validate input and generate the OpenAPI document."""

from __future__ import annotations

from backchannel.core.schemas import ULID
from backchannel.core.validation import Arr, Bool, DateTime, Enum, F, Int, Obj, Str, Text, returned

_client_id = Str(
    pattern=ULID, pattern_hint="must be a ULID (26 characters, Crockford base32)", min_len=26, max_len=26
)


_id_ref = Str(min_len=1, max_len=40)


_author = Obj("Author", returned(Str(), "id", "displayName"))


# A collected post's author is no member: no id; who they are upstream is in its origin.
_post_author = Obj(
    "PostAuthor", {"id": F(Str(), required=True, nullable=True), **returned(Str(), "displayName")}
)


_origin = Obj(
    "PostOrigin",
    {
        "network": F(Enum(("mastodon", "bluesky")), required=True),
        **returned(Str(), "url", "handle", "displayName", "profileUrl"),
    },
)


_note_visibility = Enum(("private", "attendees", "public"))


_warning = F(
    Text(max_len=200, description="a content warning: readers see it first, and the content when they ask"),
    nullable=True,
)


_moderated = {
    "contentWarning": F(Str(), required=True, nullable=True),
    "moderation": F(
        Obj(
            "Moderation",
            {
                "state": F(Enum(("held", "hidden")), required=True),
                **returned(Str(), "reason"),
                **returned(DateTime(), "at"),
            },
        ),
        required=True,
        nullable=True,
        description="why it is out of sight (shown to its author and the event's organisers only)",
    ),
}


POST_CREATE = Obj(
    "PostCreate",
    {
        "text": F(
            Text(max_len=2000, description="at most 500 characters; hashtags, mentions, links extracted"),
            required=True,
        ),
        "sessionId": F(_id_ref, nullable=True),
        "inReplyTo": F(_id_ref, nullable=True),
        "contentWarning": _warning,
        "id": F(_client_id, description="client-generated ULID for offline capture: resending is safe"),
    },
)


# What a post's text yields: each hashtag, mention or link takes at least two of its 500 characters.
_extracted = Arr(Str(), max_items=250)


POST = Obj(
    "Post",
    {
        **returned(Str(), "id", "eventId"),
        **returned(Str(), "sessionId", nullable=True),
        "author": F(_post_author, required=True),
        **returned(Str(), "text"),
        **returned(_extracted, "hashtags", "mentions", "links"),
        **returned(Str(), "inReplyTo", nullable=True),
        **returned(DateTime(), "createdAt"),
        **_moderated,
        "origin": F(
            _origin,
            required=True,
            nullable=True,
            description="where a collected post comes from (null: a member's post)",
        ),
    },
)


NOTE_CREATE = Obj(
    "NoteCreate",
    {
        "title": F(Text(max_len=200), nullable=True),
        "body": F(Text(max_len=70_000, description="Markdown, at most 64 KiB of UTF-8"), required=True),
        "visibility": F(_note_visibility, default="private"),
        "shareInPacks": F(Bool(), default=True),
        "contentWarning": _warning,
        "id": F(_client_id, description="client-generated ULID for offline capture"),
    },
)


NOTE_REPLACE = Obj(
    "NoteReplace",
    {
        "title": F(Text(max_len=200), nullable=True),
        "body": F(Text(max_len=70_000), required=True),
        "visibility": F(_note_visibility, required=True),
        "shareInPacks": F(Bool(), default=True),
        "contentWarning": _warning,
    },
)


NOTE = Obj(
    "Note",
    {
        **returned(Str(), "id", "eventId", "sessionId"),
        "author": F(_author, required=True),
        **returned(Str(), "title", nullable=True),
        **returned(Str(), "body"),
        "visibility": F(_note_visibility, required=True),
        "shareInPacks": F(Bool(), required=True),
        "version": F(Int(), required=True),
        **returned(DateTime(), "createdAt", "updatedAt"),
        **_moderated,
    },
)


_summary_status = Enum(("draft", "published"))


SUMMARY_PUT = Obj(
    "SummaryPut",
    {
        "body": F(Text(max_len=70_000, description="Markdown, at most 64 KiB of UTF-8"), required=True),
        "status": F(_summary_status, required=True),
    },
)


SUMMARY = Obj(
    "Summary",
    {
        **returned(Str(), "id", "sessionId", "eventId"),
        "version": F(Int(), required=True),
        "status": F(_summary_status, required=True),
        **returned(Str(), "body", "authorId"),
        "updatedAt": F(DateTime(), required=True),
        "publishedAt": F(DateTime(), required=True, nullable=True),
    },
)
