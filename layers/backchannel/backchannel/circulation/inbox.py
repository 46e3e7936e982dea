"""What reaches a member: the inbox (``GET /me/inbox``), its private Atom feed, and the links sent by
mail, webhook and Mastodon. Every way in serves the pack's *current* version: after a withdrawal, the
rebuilt one. Pure: the repos and the presigner are parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backchannel.circulation import channels
from backchannel.domain.model import Caller
from backchannel.errors import NotFound
from backchannel.packs_pipeline.api import served_file_url


def _current(packs: Any, pack_id: str) -> int | None:
    pack = packs.get(pack_id)
    return pack.ready_version if pack is not None and pack.served else None


def mine(repo: Any, packs: Any, caller: Caller, limit: int, cursor: str | None) -> dict:
    page = repo.inbox(caller.member_id, limit, cursor)
    versions = {pack_id: _current(packs, pack_id) for pack_id in {e.pack_id for e in page.items}}
    return {"items": [e.to_json(versions[e.pack_id]) for e in page.items], "nextCursor": page.next_cursor}


def _file(packs: Any, pack_id: str, fmt: str | None, presign: Callable[..., str] | None) -> str:
    pack = packs.get(pack_id)
    if pack is None:
        raise NotFound("this pack is gone")
    return served_file_url(pack, fmt, presign=presign)


def _entry_file(repo: Any, packs: Any, member_id: str, entry_id: str, fmt: str | None, presign) -> str:
    entry = repo.inbox_entry(member_id, entry_id)
    if entry is None:
        raise NotFound(f"inbox entry {entry_id} not found")
    return _file(packs, entry.pack_id, fmt, presign)


def entry_download(
    repo: Any, packs: Any, caller: Caller, entry_id: str, fmt: str | None, *, presign=None
) -> str:
    return _entry_file(repo, packs, caller.member_id, entry_id, fmt, presign)


def feed(repo: Any, token: str, limit: int = 50) -> tuple[str, list]:
    """The member a feed token belongs to and their newest inbox entries."""
    member_id = channels.feed_owner(repo, token)
    return member_id, repo.inbox(member_id, limit, None).items


def feed_download(repo: Any, packs: Any, token: str, entry_id: str, fmt: str | None, *, presign=None) -> str:
    return _entry_file(repo, packs, channels.feed_owner(repo, token), entry_id, fmt, presign)


def link_download(repo: Any, packs: Any, token: str, fmt: str | None, *, presign=None) -> str:
    """A link sent by mail, webhook or Mastodon: a capability for one recipient and pack."""
    found = repo.token(channels.token_hash(token))
    if found is None or found["purpose"] != "pack" or not found.get("packId"):
        raise NotFound("this link is not valid")
    return _file(packs, found["packId"], fmt, presign)
