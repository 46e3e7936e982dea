"""What an export holds: which of the items that name a member are theirs, and what of each is shown.
Pure: items arrive as plain dicts (from :mod:`backchannel.core.dynamo.sweep`).

| section | items | what is left out |
|---|---|---|
| profile | their ``Member`` | |
| memberships | ``Membership`` of theirs (events they attend or organise) | |
| stars | ``Star`` | |
| posts, notes, questions | what they wrote (``authorId``, ``askerId``); a note in its current version, with its number | |
| summaries | summary versions they wrote as an organiser | |
| votes | their ``Vote`` on questions | |
| follows, blocks | the ones they made | who follows or blocks them (only the counts, in ``followCounts``) |
| channels | their channels: type, mode, status, address, URL, instance | the sealed secrets (webhook secret, Mastodon token, verification code and its hash), link token hashes |
| inbox | entries of packs sent to them (title, from whom, when) | the packs themselves (others' packs, fetched with the inbox's own link) |
| packs | their personal packs' records; the Markdown and JSON of each served version in the zip | |

Nothing else that names them goes in: others' items (a follow of them, a block of them, a reply to
them, a vote on their question), tokens, deliveries, rate-limit counters, idempotency records."""

from __future__ import annotations

from typing import Any

HIDDEN = frozenset({"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "type"})
# A channel's fields that may leave: never ``sealed``, ``codeHash``, ``codeAttempts`` or ``tokenHashes``.
CHANNEL_FIELDS = ("id", "channelType", "mode", "status", "createdAt", "updatedAt")
SECTIONS = (
    "profile",
    "memberships",
    "stars",
    "posts",
    "notes",
    "questions",
    "summaries",
    "votes",
    "follows",
    "followCounts",
    "blocks",
    "channels",
    "inbox",
    "packs",
)


def shown(item: dict[str, Any]) -> dict[str, Any]:
    """An item without its keys and type, values made JSON-friendly (sets sorted, numbers plain)."""
    return {k: _plain(v) for k, v in sorted(item.items()) if k not in HIDDEN}


def _plain(value: Any) -> Any:
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "as_integer_ratio") and not isinstance(value, bool | float):  # Decimal, int
        return int(value) if value == int(value) else float(value)
    return value


def channel(item: dict[str, Any]) -> dict[str, Any]:
    """A channel as ``GET /me/channels`` shows it: no secret, sealed or hashed."""
    settings = {k: v for k, v in (item.get("settings") or {}).items() if not k.startswith("_")}
    return {**{k: item.get(k) for k in CHANNEL_FIELDS}, "settings": _plain(settings)}


def section_of(item: dict[str, Any], member_id: str) -> tuple[str, dict[str, Any]] | None:
    """The section of the export an item goes into and what of it is shown; None: not theirs."""
    kind, pk, sk = item.get("type"), item.get("pk", ""), item.get("sk", "")
    home = f"MEMBER#{member_id}"
    by_them = member_id in (item.get("authorId"), item.get("askerId"))
    if pk == home:
        found = {"Member": "profile", "Star": "stars", "Follow": "follows", "Block": "blocks"}.get(str(kind))
        found = found or {"InboxEntry": "inbox"}.get(str(kind))
        if kind == "Channel":
            return "channels", channel(item)
        return (found, shown(item)) if found else None
    if kind == "Membership" and sk == home:
        return "memberships", shown(item)
    if kind in ("Post", "Note", "Question", "Summary") and by_them:
        return {"Post": "posts", "Note": "notes", "Question": "questions", "Summary": "summaries"}[
            kind
        ], shown(item)
    if kind == "Vote" and sk == f"VOTE#{member_id}":
        return "votes", shown(item)
    if kind == "FollowStats" and pk == f"FOLLOWSTATS#member#{member_id}":
        return "followCounts", shown(item)
    if kind == "Pack" and item.get("kind") == "personal" and item.get("memberId") == member_id:
        return "packs", shown(item)
    return None


def gather(items, member_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every section, each sorted by id or time (stable across builds of the same data)."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in SECTIONS}
    for item in items:
        placed = section_of(item, member_id)
        if placed is not None:
            found[placed[0]].append(placed[1])
    for rows in found.values():
        rows.sort(key=lambda r: (str(r.get("createdAt") or r.get("since") or ""), str(r.get("id") or "")))
    return found
