"""The network: members follow members, events and sessions (one-way, as in a learning network) and
block members. Pure: the store and the circulation repo arrive as parameters.

Blocking a member hides them from you and stops anything of theirs reaching you: the block removes
the follows between the two of you (both ways), a blocked member cannot follow you again, and the
fan-out leaves out anyone on either side of a block with the pack's member or publisher.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backchannel.circulation.model import Block, Follow, parse_follow_id
from backchannel.conference.rules import visible_event, visible_session
from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from backchannel.core.model import Caller, Input, Page, iso, read_input, utcnow


def follow(store: ConferenceRepo, repo: Any, caller: Caller, data: Input, *, now: dt.datetime | None = None):
    """Follow a member, an event or a session you may see. Returns (follow, created)."""
    body = read_input(data)
    kind, target_id = body["type"], body["id"]
    if kind == "member":
        if target_id == caller.member_id:
            raise ValidationFailed(FieldError("id", "you cannot follow yourself"))
        if store.get_member(target_id) is None:
            raise ValidationFailed(FieldError("id", f"no member {target_id}"))
        if caller.member_id in repo.blocked_by(target_id):
            raise Forbidden("this member does not accept your follow")
        if target_id in repo.blocked_by(caller.member_id):
            raise ValidationFailed(FieldError("id", "you blocked this member: unblock them first"))
    elif kind == "event":
        visible_event(store, target_id, caller, need_membership=False)
    else:
        visible_session(store, target_id, caller)
    existing = repo.get_follow(caller.member_id, kind, target_id)
    if existing is not None:
        return existing, False
    record = Follow(caller.member_id, kind, target_id, iso(now or utcnow()))
    created = repo.follow(record)
    return (record if created else repo.get_follow(caller.member_id, kind, target_id) or record), created


def unfollow(repo: Any, caller: Caller, follow_id: str) -> None:
    parsed = parse_follow_id(follow_id)
    if parsed is None or not repo.unfollow(caller.member_id, *parsed):
        raise NotFound(f"follow {follow_id} not found")


def my_follows(repo: Any, caller: Caller, limit: int, cursor: str | None) -> Page[Follow]:
    return repo.list_follows(caller.member_id, limit, cursor)


def profile(store: ConferenceRepo, repo: Any, caller: Caller | None, handle: str) -> dict:
    """A member's public profile with follower and following counts (404 for unknown handles)."""
    member_id = repo.member_by_handle(handle)
    member = store.get_member(member_id) if member_id else None
    if member is None:
        raise NotFound(f"member @{handle} not found")
    followers, following = repo.follow_counts("member", member.id)
    body = member.public_json() | {"followers": followers, "following": following}
    if caller is not None and caller.member_id != member.id:
        body["followedByYou"] = repo.get_follow(caller.member_id, "member", member.id) is not None
        body["blockedByYou"] = member.id in repo.blocked_by(caller.member_id)
    return body


def block(
    store: ConferenceRepo, repo: Any, caller: Caller, data: Input, *, now: dt.datetime | None = None
) -> Block:
    body = read_input(data)
    target = body["memberId"]
    if target == caller.member_id:
        raise ValidationFailed(FieldError("memberId", "you cannot block yourself"))
    if store.get_member(target) is None:
        raise ValidationFailed(FieldError("memberId", f"no member {target}"))
    record = Block(caller.member_id, target, iso(now or utcnow()))
    repo.block(record)
    for follower, followed in ((caller.member_id, target), (target, caller.member_id)):
        repo.unfollow(follower, "member", followed)  # a conditional delete: nothing if there is none
    return record


def unblock(repo: Any, caller: Caller, member_id: str) -> None:
    if not repo.unblock(caller.member_id, member_id):
        raise NotFound(f"you have not blocked member {member_id}")


def my_blocks(repo: Any, caller: Caller, limit: int, cursor: str | None) -> Page[Block]:
    return repo.list_blocks(caller.member_id, limit, cursor)
