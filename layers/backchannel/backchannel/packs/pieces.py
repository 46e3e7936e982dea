"""What a pack's content is made of: the JSON shape of its items, the top threads (one bounded pass),
who consents to appear, what an edition leaves out and why, and the keys of its manifest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from backchannel.capture.model import Note, Post
from backchannel.conference.model import Session

TOP_POSTS = 20


SLOTS = 200


REPLIES = 10


DOI_BASE = "https://doi.org/"


# Why a note stays out of an edition (the publisher's preview lists these with their counts).
LEFT_OUT = {
    "private": "private notes never leave their author",
    "attendees": "attendees-only notes stay with the event's attendees",
    "not-shared": "notes their author did not share in packs",
    "no-consent": "members who withdrew their consent to appear in packs",
}


def manifest_key(group: str, data: dict, section: str | None) -> str:
    """What identifies one item of an edition, to keep it (or drop it) in a retraction rebuild. A note
    is named with its update time, so an edited note no longer matches what was published."""
    if group == "summary":
        return f"summary:{section}:{data.get('version')}"
    if group == "notes":
        return f"note:{data['id']}:{data.get('updatedAt')}"
    if group == "posts":
        return f"post:{data['id']}"
    if group == "questions":
        return f"question:{data['id']}"
    if group == "resources":
        return f"resource:{data['url']}"
    return f"paper:{data.get('doi')}"


@dataclass
class Consent:
    """Whether a member consents to appear in packs, and their display name (read once each)."""

    store: object
    owner: str | None = None  # a personal pack's member: always consents to their own pack
    seen: dict[str, tuple[bool, str | None]] = field(default_factory=dict)
    contributors: dict[str, str] = field(default_factory=dict)

    def allows(self, member_id: str) -> bool:
        if member_id not in self.seen:
            member = self.store.get_member(member_id)
            consent = bool(getattr(member, "pack_consent", True)) if member is not None else True
            self.seen[member_id] = (consent, member.display_name if member is not None else None)
        return member_id == self.owner or self.seen[member_id][0]

    def credit(self, member_id: str, name: str) -> None:
        self.contributors.setdefault(member_id, self.seen.get(member_id, (True, None))[1] or name)

    def allows_post(self, post: Post) -> bool:
        """A collected post's consent is its network's (checked when collected and at each build)."""
        return post.origin is not None or self.allows(post.author_id or "")

    def credit_post(self, post: Post) -> None:
        self.credit(post.credited, byline(post))


def pages(fetch: Callable[[str | None], tuple[list, str | None]]) -> Iterator:
    cursor: str | None = None
    while True:
        items, cursor = fetch(cursor)
        yield from items
        if not cursor:
            return


def byline(post: Post) -> str:
    """How a pack credits a post's author: a member by name, a collected post's author by name and handle."""
    if post.origin:
        return f"{post.author_name} ({post.origin.get('handle')}, {post.origin.get('network')})"
    return post.author_name


def post_json(post: Post) -> dict:
    return {
        "id": post.id,
        "author": {"id": post.author_id, "displayName": post.author_name},
        "text": post.text,
        "contentWarning": post.content_warning,
        "links": list(post.links),
        "createdAt": post.created_at,
        **({"origin": post.public_origin()} if post.origin else {}),
    }


def note_json(note: Note) -> dict:
    return {
        "id": note.id,
        "author": {"id": note.author_id, "displayName": note.author_name},
        "title": note.title,
        "body": note.body,
        "contentWarning": note.content_warning,
        "visibility": note.visibility,
        "updatedAt": note.updated_at,
    }


def session_json(session: Session) -> dict:
    return {
        "type": "session",
        "id": session.id,
        "title": session.title,
        "abstract": session.abstract,
        "speakers": [s.to_json() for s in session.speakers],
        "room": session.room,
        "track": session.track,
        "startsAt": session.starts_at.isoformat(),
        "endsAt": session.ends_at.isoformat(),
    }


def top_threads(posts: Iterator[Post], allowed: Callable[[Post], bool], limit: int = TOP_POSTS) -> tuple:
    """One pass over posts (newest first): (candidate parents with reply counts and kept replies,
    the newest root posts). Bounded by SLOTS * REPLIES + limit posts whatever the feed's length."""
    counts: dict[str, int] = {}
    replies: dict[str, list[Post]] = {}
    roots: list[Post] = []
    for post in posts:
        if not allowed(post):
            continue
        parent = post.in_reply_to
        if not parent:
            if len(roots) < limit:
                roots.append(post)
            continue
        if parent in counts:
            counts[parent] += 1
        elif len(counts) < SLOTS:
            counts[parent] = 1
            replies[parent] = []
        else:  # Misra-Gries: every counter down by one, the spent ones dropped
            for key in list(counts):
                counts[key] -= 1
                if counts[key] == 0:
                    del counts[key], replies[key]
            continue
        if len(replies[parent]) < REPLIES:
            replies[parent].append(post)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(pid, n, replies[pid]) for pid, n in ranked], roots


def citation(doi: str, url: str) -> str:
    """A citation from what we know without fetching anything: the DOI and its resolver link."""
    return f"doi:{doi}. Available at {DOI_BASE}{doi}" + ("" if url.startswith(DOI_BASE) else f" ({url})")
