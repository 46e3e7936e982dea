"""What reaches a member: the inbox (``GET /me/inbox``), its private Atom feed, and the links sent by
mail, webhook and Mastodon. Pure: the repos, the store and the presigner are parameters.

Every way in serves the **edition published to that recipient** (``Publication.edition``), never the
pack's newest build: a later version reaches them only when it is published to them, and the one
change they see without a new publication is a retraction rebuild, which only removes content.

Every fetch checks the recipient again (:func:`availability`):

| the fetch answers | when |
|---|---|
| 410 revoked | the publisher revoked the publication |
| 410 blocked | the publisher blocked the recipient |
| 410 not-a-member | the edition is for the event's members and the recipient is no longer one |
| 410 gone | the publication, its event or its publisher's account is gone |
| 410 (links only) | the link expired (``CIRCULATED_LINK_DAYS``, 30 by default) |
| 409 | the edition is being prepared, or rebuilt after a withdrawal |

Unfollowing changes none of this: a letter that was sent stays with its recipient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from backchannel.circulation import channels
from backchannel.circulation.model import InboxEntry, Publication
from backchannel.circulation.publishing import members_only
from backchannel.core.errors import Conflict, Gone, NotFound
from backchannel.core.model import Caller, iso, utcnow
from backchannel.packs.api import check_format, file_url

# Why an edition is not served to a recipient, in words for the page a link opens.
WHY = {
    "revoked": "Its sender withdrew this pack.",
    "blocked": "Its sender no longer shares packs with you.",
    "not-a-member": "This pack is for the members of its event, and you are no longer one.",
    "gone": "This pack, its event or its sender's account no longer exists.",
    "expired": "This link has expired. Open the pack from your Backchannel inbox instead.",
}


class _Checks:
    """The reads an availability check needs, each made once per request (an inbox page asks about
    many entries of a few publications)."""

    def __init__(self, store: Any, repo: Any) -> None:
        self.store, self.repo = store, repo
        self._cache: dict[tuple, Any] = {}

    def _once(self, key: tuple, read: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    def publication(self, pack_id: str, version: int) -> Publication | None:
        return self._once(("pub", pack_id, version), lambda: self.repo.get_publication(pack_id, version))

    def availability(self, pub: Publication | None, recipient_id: str) -> str:
        if pub is None:
            return "gone"
        if pub.revoked_at:
            return "revoked"
        actor = pub.actor_id
        # A personal pack is its member's: it goes with their account (erasure deletes the member).
        if (
            pub.kind == "personal"
            and self._once(("member", actor), lambda: self.store.get_member(actor)) is None
        ):
            return "gone"
        if self._once(("block", actor, recipient_id), lambda: self.repo.has_blocked(actor, recipient_id)):
            return "blocked"
        event = self._once(("event", pub.event_id), lambda: self.store.get_event(pub.event_id))
        if event is None:
            return "gone"
        if members_only(pub.kind, event):
            member = self._once(
                ("membership", pub.event_id, recipient_id),
                lambda: recipient_id in self.store.members_of_event(pub.event_id, [recipient_id]),
            )
            if not member:
                return "not-a-member"
        if pub.retracting:
            return "updating"
        if not pub.edition_ready:
            return "preparing"
        return "yes"


def availability(store: Any, repo: Any, pub: Publication | None, recipient_id: str) -> str:
    """``yes`` if ``recipient_id`` may fetch ``pub``'s edition now; otherwise why not."""
    return _Checks(store, repo).availability(pub, recipient_id)


def _serve(pub: Publication | None, state: str, fmt: str | None, presign) -> str:
    fmt = check_format(fmt)
    if state == "updating":
        raise Conflict("this pack is being updated after something in it was withdrawn: try again shortly")
    if state == "preparing":
        raise Conflict("this pack is being prepared for you: try again shortly")
    if state != "yes":
        raise Gone(WHY[state], reason=state)
    assert pub is not None
    assert pub.bucket is not None
    return file_url(pub.bucket, pub.edition, fmt, f"pack-{pub.pack_id}-v{pub.version}", presign=presign)


def mine(repo: Any, store: Any, caller: Caller, limit: int, cursor: str | None) -> dict:
    page = repo.inbox(caller.member_id, limit, cursor)
    checks = _Checks(store, repo)
    items = [
        e.to_json(checks.availability(checks.publication(e.pack_id, e.version), caller.member_id))
        for e in page.items
    ]
    return {"items": items, "nextCursor": page.next_cursor}


def _entry_file(repo: Any, store: Any, member_id: str, entry: InboxEntry | None, fmt, presign) -> str:
    if entry is None:
        raise NotFound("inbox entry not found")
    checks = _Checks(store, repo)
    pub = checks.publication(entry.pack_id, entry.version)
    return _serve(pub, checks.availability(pub, member_id), fmt, presign)


def entry_download(
    repo: Any, store: Any, caller: Caller, entry_id: str, fmt: str | None, *, presign=None
) -> str:
    entry = repo.inbox_entry(caller.member_id, entry_id)
    return _entry_file(repo, store, caller.member_id, entry, fmt, presign)


def feed(repo: Any, store: Any, token: str, limit: int = 50) -> tuple[str, list]:
    """The member a feed token belongs to and their newest inbox entries that they may still fetch."""
    member_id = channels.feed_owner(repo, token)
    checks = _Checks(store, repo)
    entries = [
        e
        for e in repo.inbox(member_id, limit, None).items
        if checks.availability(checks.publication(e.pack_id, e.version), member_id) in ("yes", "updating")
    ]
    return member_id, entries


def feed_download(repo: Any, store: Any, token: str, entry_id: str, fmt: str | None, *, presign=None) -> str:
    member_id = channels.feed_owner(repo, token)
    return _entry_file(repo, store, member_id, repo.inbox_entry(member_id, entry_id), fmt, presign)


def link_download(
    repo: Any,
    store: Any,
    token: str,
    fmt: str | None,
    *,
    presign=None,
    now: dt.datetime | None = None,
) -> str:
    """A link sent by mail, webhook or Mastodon: a capability for one delivery (one recipient, one
    published version, one channel), until it expires or is revoked."""
    found = repo.token(channels.token_hash(token))
    if found is None or found["purpose"] != "pack" or not found.get("packId"):
        raise NotFound("this link is not valid")
    if found.get("version") is None or not found.get("expiresAt"):
        raise Gone(WHY["expired"], reason="expired")  # a link from before links were scoped
    if found["expiresAt"] <= iso(now or utcnow()):
        raise Gone(WHY["expired"], reason="expired")
    checks = _Checks(store, repo)
    pub = checks.publication(found["packId"], found["version"])
    return _serve(pub, checks.availability(pub, found["memberId"]), fmt, presign)
