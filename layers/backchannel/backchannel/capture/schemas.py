"""Request and response schemas of posts, notes and summaries: they validate input and generate the OpenAPI document."""

from __future__ import annotations

from backchannel.core.schemas import ULID
from backchannel.core.validation import Arr, Bool, DateTime, Enum, F, Int, Obj, Str, Text

_client_id = Str(
    pattern=ULID, pattern_hint="must be a ULID (26 characters, Crockford base32)", min_len=26, max_len=26
)


_id_ref = Str(min_len=1, max_len=40)


_author = Obj("Author", {"id": F(Str(), required=True), "displayName": F(Str(), required=True)})


_note_visibility = Enum(("private", "attendees", "public"))


POST_CREATE = Obj(
    "PostCreate",
    {
        "text": F(
            Text(max_len=2000, description="at most 500 characters; hashtags, mentions, links extracted"),
            required=True,
        ),
        "sessionId": F(_id_ref, nullable=True),
        "inReplyTo": F(_id_ref, nullable=True),
        "id": F(_client_id, description="client-generated ULID for offline capture: resending is safe"),
    },
)


# What a post's text yields: each hashtag, mention or link takes at least two of its 500 characters.
_extracted = Arr(Str(), max_items=250)


POST = Obj(
    "Post",
    {
        "id": F(Str(), required=True),
        "eventId": F(Str(), required=True),
        "sessionId": F(Str(), required=True, nullable=True),
        "author": F(_author, required=True),
        "text": F(Str(), required=True),
        "hashtags": F(_extracted, required=True),
        "mentions": F(_extracted, required=True),
        "links": F(_extracted, required=True),
        "inReplyTo": F(Str(), required=True, nullable=True),
        "createdAt": F(DateTime(), required=True),
    },
)


NOTE_CREATE = Obj(
    "NoteCreate",
    {
        "title": F(Text(max_len=200), nullable=True),
        "body": F(Text(max_len=70_000, description="Markdown, at most 64 KiB of UTF-8"), required=True),
        "visibility": F(_note_visibility, default="private"),
        "shareInPacks": F(Bool(), default=True),
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
    },
)


NOTE = Obj(
    "Note",
    {
        "id": F(Str(), required=True),
        "eventId": F(Str(), required=True),
        "sessionId": F(Str(), required=True),
        "author": F(_author, required=True),
        "title": F(Str(), required=True, nullable=True),
        "body": F(Str(), required=True),
        "visibility": F(_note_visibility, required=True),
        "shareInPacks": F(Bool(), required=True),
        "version": F(Int(), required=True),
        "createdAt": F(DateTime(), required=True),
        "updatedAt": F(DateTime(), required=True),
    },
)


SUMMARY_PUT = Obj(
    "SummaryPut",
    {
        "body": F(Text(max_len=70_000, description="Markdown, at most 64 KiB of UTF-8"), required=True),
        "status": F(Enum(("draft", "published")), required=True),
    },
)


SUMMARY = Obj(
    "Summary",
    {
        "id": F(Str(), required=True),
        "sessionId": F(Str(), required=True),
        "eventId": F(Str(), required=True),
        "version": F(Int(), required=True),
        "status": F(Enum(("draft", "published")), required=True),
        "body": F(Str(), required=True),
        "authorId": F(Str(), required=True),
        "updatedAt": F(DateTime(), required=True),
        "publishedAt": F(DateTime(), required=True, nullable=True),
    },
)
