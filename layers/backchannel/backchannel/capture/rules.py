"""Capture: posts, session notes and organiser summaries (:mod:`backchannel.capture.summaries`). Who may write where, what a post says
(hashtags, mentions, links extracted on the server), and how offline replays stay exactly-once."""

from __future__ import annotations

import dataclasses
import datetime as dt

from backchannel.capture.model import NOTE_MAX_BYTES, POST_MAX_CHARS, Moderation, Note, Post
from backchannel.capture.store import CaptureRepo
from backchannel.capture.summaries import get_summary, put_summary, summary_versions
from backchannel.capture.text import (
    TextProblem,
    clean_text,
    extract_hashtags,
    extract_links,
    extract_mentions,
)
from backchannel.circulation.blocks import BlockReader, hidden_from, without_blocked
from backchannel.conference.members import ensure_member
from backchannel.conference.model import Membership
from backchannel.conference.rules import (
    hidden_as,
    membership_of,
    visible_event,
    visible_session,
    writable_event,
)
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from backchannel.core.ids import new_ulid
from backchannel.core.model import Caller, Input, Page, id_not_yours, iso, read_input, utcnow


def _text(value: str, field: str, **kw) -> str:
    try:
        return clean_text(value, **kw)
    except TextProblem as problem:
        raise ValidationFailed(FieldError(field, problem.message)) from None


def create_post(
    store: ConferenceRepo,
    capture: CaptureRepo,
    caller: Caller,
    event_id: str,
    data: Input,
    *,
    window_days: int,
    now: dt.datetime | None = None,
) -> tuple[Post, bool]:
    """The post and whether it was created now (False: a replay of a post already stored)."""
    now = now or utcnow()
    event, _ = writable_event(store, caller, event_id, window_days=window_days, now=now)
    data = read_input(data)
    text = _text(data["text"], "text", max_chars=POST_MAX_CHARS, multiline=True)
    errors: list[FieldError] = []
    session_id = data.get("sessionId")
    if session_id:
        session = store.get_session(session_id)
        if session is None or session.event_id != event.id:
            errors.append(FieldError("sessionId", f"no session {session_id} in this event"))
    reply_to = data.get("inReplyTo")
    if reply_to:
        parent = capture.get_post(reply_to)
        if parent is None or parent.event_id != event.id or parent.hidden:
            errors.append(FieldError("inReplyTo", f"no post {reply_to} in this event"))
    if errors:
        raise ValidationFailed(errors)
    hashtags = extract_hashtags(text)
    if not session_id and hashtags:
        session_id = capture.session_for_hashtags(event.id, hashtags)
    member = ensure_member(store, caller)
    membership = store.get_membership(event.id, caller.member_id) if event.hold_posts else None
    held = event.hold_posts and not (membership is not None and membership.is_organiser)
    post = Post(
        id=(data.get("id") or new_ulid()).upper(),
        event_id=event.id,
        author_id=caller.member_id,
        author_name=member.display_name,
        text=text,
        created_at=iso(now),
        seq=new_ulid(),
        session_id=session_id,
        in_reply_to=reply_to,
        hashtags=hashtags,
        mentions=extract_mentions(text),
        links=extract_links(text),
        content_warning=_warning(data),
        moderation=Moderation("held", "waiting for an organiser's approval", iso(now)) if held else None,
    )
    existing = capture.put_post(post, event.feed_shards)
    if existing is None:
        return post, True
    if existing.author_id != caller.member_id:
        raise id_not_yours("post", post.id)
    if not existing.same_content(post):
        raise Conflict(f"post {post.id} exists with other content", field="id")
    return existing, False


def visible_post(store: ConferenceRepo, capture: CaptureRepo, post_id: str, caller: Caller | None) -> Post:
    """The post if the caller may read it: a hidden or held one only its author and the organisers."""
    post = capture.get_post(post_id)
    if post is None:
        raise NotFound(f"post {post_id} not found")
    own = caller is not None and post.author_id == caller.member_id
    with hidden_as(f"post {post_id}"):
        _, membership = visible_event(store, post.event_id, caller, need_membership=post.hidden and not own)
    if post.hidden and not own and not (membership is not None and membership.is_organiser):
        raise NotFound(f"post {post_id} not found")
    return post


def delete_post(store: ConferenceRepo, capture: CaptureRepo, caller: Caller, post_id: str) -> None:
    """Its author (always: what you wrote is yours to remove), or an organiser of its event."""
    post = capture.get_post(post_id)
    if post is not None and post.author_id == caller.member_id:
        capture.delete_post(post)
        return
    post = visible_post(store, capture, post_id, caller)
    if post.author_id != caller.member_id:
        membership = store.get_membership(post.event_id, caller.member_id)
        if membership is None or not membership.is_organiser:
            raise Forbidden("only its author or the event's organisers may delete a post")
    capture.delete_post(post)


def event_posts(
    store: ConferenceRepo,
    capture: CaptureRepo,
    caller: Caller | None,
    event_id: str,
    limit: int,
    cursor: str | None,
    since: str | None,
    blocks: BlockReader | None = None,
) -> tuple[list[Post], str | None]:
    """A page of an event's feed (newest first, and the next page's cursor), or with ``since`` the
    posts that arrived after it; never the posts of members the caller blocked."""
    event, _ = visible_event(store, event_id, caller, need_membership=False)
    hidden, shards = hidden_from(blocks, caller), event.feed_shards
    if since is not None:
        return without_blocked(capture.event_posts_since(event_id, shards, limit, since), hidden), None
    posts, next_cursor = capture.event_posts(event_id, shards, limit, cursor)
    return without_blocked(posts, hidden), next_cursor


def session_posts(
    store: ConferenceRepo,
    capture: CaptureRepo,
    caller: Caller | None,
    session_id: str,
    limit: int,
    cursor: str | None,
    since: str | None,
    blocks: BlockReader | None = None,
) -> tuple[list[Post], str | None]:
    _, event = visible_session(store, session_id, caller)
    hidden, shards = hidden_from(blocks, caller), event.feed_shards
    if since is not None:
        return without_blocked(capture.session_posts_since(session_id, shards, limit, since), hidden), None
    posts, next_cursor = capture.session_posts(session_id, shards, limit, cursor)
    return without_blocked(posts, hidden), next_cursor


def _warning(data: dict) -> str | None:
    """A post's or note's content warning: readers see it first, and the content only when they ask."""
    warning = data.get("contentWarning")
    return _text(warning, "contentWarning", max_chars=200, multiline=False) if warning else None


def note_fields(data: dict) -> dict:
    body = _text(data["body"], "body", max_chars=NOTE_MAX_BYTES, multiline=True)
    if len(body.encode("utf-8")) > NOTE_MAX_BYTES:
        raise ValidationFailed(FieldError("body", f"must be at most {NOTE_MAX_BYTES} bytes of UTF-8"))
    title = data.get("title")
    if title is not None:
        title = _text(title, "title", max_chars=200, multiline=False)
    return {"body": body, "title": title, "content_warning": _warning(data)}


def create_note(
    store: ConferenceRepo,
    capture: CaptureRepo,
    caller: Caller,
    session_id: str,
    data: Input,
    *,
    window_days: int,
    now: dt.datetime | None = None,
) -> tuple[Note, bool]:
    now = now or utcnow()
    session, _ = visible_session(store, session_id, caller)
    data = read_input(data)
    visibility = data.get("visibility") or "private"
    _, membership = writable_event(
        store,
        caller,
        session.event_id,
        window_days=window_days,
        now=now,
        need_membership=visibility == "attendees",
    )
    fields = note_fields(data)
    _check_audience(visibility, membership)
    member = ensure_member(store, caller)
    stamp = iso(now)
    note = Note(
        id=(data.get("id") or new_ulid()).upper(),
        event_id=session.event_id,
        session_id=session.id,
        author_id=caller.member_id,
        author_name=member.display_name,
        visibility=data.get("visibility") or "private",
        share_in_packs=data.get("shareInPacks", True),
        version=1,
        created_at=stamp,
        updated_at=stamp,
        **fields,
    )
    existing = capture.put_note(note)
    if existing is None:
        return note, True
    if existing.author_id != caller.member_id:
        raise id_not_yours("note", note.id)
    if not existing.same_content(note) or existing.version != 1:
        raise Conflict(f"note {note.id} exists with other content", field="id")
    return existing, False


def _check_audience(visibility: str, membership: Membership | None) -> None:
    """Only a member of the event may share with its attendees: you share with a group you are in."""
    if visibility == "attendees" and (membership is None or not membership.roles):
        raise ValidationFailed(FieldError("visibility", "join the event to share notes with its attendees"))


def visible_note(store: ConferenceRepo, capture: CaptureRepo, note_id: str, caller: Caller | None) -> Note:
    """The note if the caller may read it; otherwise 404, as if it did not exist."""
    note = capture.get_note(note_id)
    if note is not None:
        try:
            own = caller is not None and note.author_id == caller.member_id
            _, membership = visible_event(
                store,
                note.event_id,
                caller,
                need_membership=(note.visibility == "attendees" or note.hidden) and not own,
            )
        except NotFound:
            note = None
        else:
            if not note.readable_by(caller.member_id if caller else None, membership):
                note = None
    if note is None:
        raise NotFound(f"note {note_id} not found")
    return note


def _own_note(store: ConferenceRepo, capture: CaptureRepo, caller: Caller, note_id: str, action: str) -> Note:
    """The caller's own note (no event read needed); 403 for a note they may only read, else 404."""
    note = capture.get_note(note_id)
    if note is not None and note.author_id == caller.member_id:
        return note
    visible_note(store, capture, note_id, caller)  # 404 unless they may at least read it
    raise Forbidden(f"only its author may {action} a note")


def replace_note(
    store: ConferenceRepo,
    capture: CaptureRepo,
    caller: Caller,
    note_id: str,
    if_match: str | None,
    data: Input,
    *,
    now: dt.datetime | None = None,
) -> Note:
    before = _own_note(store, capture, caller, note_id, "change")
    if not if_match:
        raise PreconditionRequired("send If-Match with the note's ETag, so nobody's edit is overwritten")
    if if_match.strip() == "*":  # "any version" would overwrite an edit made since the caller read it
        raise PreconditionRequired(
            "If-Match: * does not protect the note: send its ETag (from GET /notes/{id})"
        )
    if if_match.strip() != before.etag:
        raise PreconditionFailed("the note changed since you read it: read it again (its ETag changed)")
    data = read_input(data)
    if data["visibility"] == "attendees":
        _check_audience("attendees", store.get_membership(before.event_id, caller.member_id))
    after = dataclasses.replace(
        before,
        **note_fields(data),
        visibility=data["visibility"],
        share_in_packs=data.get("shareInPacks", True),
        version=before.version + 1,
        updated_at=iso(now or utcnow()),
    )
    capture.replace_note(before, after)
    return after


def delete_note(store: ConferenceRepo, capture: CaptureRepo, caller: Caller, note_id: str) -> None:
    capture.delete_note(_own_note(store, capture, caller, note_id, "delete"))


def session_notes(
    store: ConferenceRepo,
    capture: CaptureRepo,
    caller: Caller | None,
    session_id: str,
    limit: int,
    cursor: str | None,
    blocks: BlockReader | None = None,
) -> Page[Note]:
    """Public notes for everybody; attendees' notes for the event's members; your own private notes.
    Never the notes of members the caller blocked."""
    session, _ = visible_session(store, session_id, caller)
    membership = membership_of(store, session.event_id, caller)
    partitions = ["public"]
    if membership is not None and membership.roles:
        partitions.append("attendees")
    if caller is not None:
        partitions.append(f"private#{caller.member_id}")
    page = capture.session_notes(session_id, partitions, limit, cursor)
    return Page(without_blocked(page.items, hidden_from(blocks, caller)), page.next_cursor)


__all__ = ["get_summary", "put_summary", "summary_versions"]  # the summaries, from capture.summaries
