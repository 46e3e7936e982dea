"""What the packs API does, route by route: authorise, then one call into ``service`` or the repo.
Answers are the public JSON of packs (``Pack.to_json``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backchannel.conference.store import ConferenceRepo
from backchannel.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from backchannel.core.model import Caller, Input, read_input
from backchannel.packs import rules, service
from backchannel.packs.model import Artifact, Pack, Target

FORMATS = ("html", "md", "json", "epub")


def _json(store: ConferenceRepo, pack: Pack) -> dict:
    event = store.get_event(pack.target.event_id)
    return pack.to_json(public_event=event is not None and event.visibility == "public")


def _request(store: ConferenceRepo, repo: Any, publisher: Any, caller: Caller, target: Target) -> dict:
    pack = service.request(repo, publisher, target, requested_by=caller.member_id)
    assert pack is not None
    return _json(store, pack)


def request_session_pack(
    store: ConferenceRepo, repo: Any, publisher: Any, caller: Caller, session_id: str
) -> dict:
    return _request(store, repo, publisher, caller, rules.session_target(store, caller, session_id))


def request_event_pack(
    store: ConferenceRepo, repo: Any, publisher: Any, caller: Caller, event_id: str
) -> dict:
    return _request(store, repo, publisher, caller, rules.event_target(store, caller, event_id))


def request_personal_pack(
    store: ConferenceRepo, repo: Any, publisher: Any, caller: Caller, data: Input
) -> dict:
    body = read_input(data)
    return _request(store, repo, publisher, caller, rules.personal_target(store, caller, body["eventId"]))


Published = Callable[[str], Any]  # pack id -> its newest publication not revoked (or None)


def _view(
    store: ConferenceRepo, pack: Pack, caller: Caller | None, published: Published, organiser: bool
) -> dict:
    """A pack's JSON for ``caller``: its member (personal packs) and the event's organisers see the
    newest build; everyone else sees only what was published (``Pack.as_published``)."""
    event = store.get_event(pack.target.event_id)
    public = event is not None and event.visibility == "public"
    if pack.target.kind == "personal":
        return pack.to_json()
    pub = published(pack.id)
    if organiser:  # the newest build; the stable public URL once something is published
        return pack.to_json(public_event=public and pub is not None)
    edition = pub.edition if pub is not None and pub.edition_ready else {}
    return pack.as_published(pub.version if pub else None, edition).to_json(public_event=public)


def get_pack(
    store: ConferenceRepo,
    repo: Any,
    caller: Caller | None,
    pack_id: str,
    *,
    published: Published = lambda _: None,
) -> dict:
    pack = repo.get(pack_id)
    event = rules.readable(store, caller, pack, pack_id)
    assert pack is not None
    return _view(store, pack, caller, published, rules.is_organiser(store, event.id, caller))


def download_url(
    store: ConferenceRepo,
    repo: Any,
    caller: Caller | None,
    pack_id: str,
    fmt: str | None,
    *,
    published: Callable[[str], Any] = lambda _: None,
    presign: Callable[..., str] | None = None,
) -> str:
    """A presigned URL of the pack's file in ``fmt`` (html by default).

    A personal pack's member and an event's organisers get the newest build. Everyone else who may
    read the pack gets the circulated edition of its newest publication (``published(pack_id)``), so
    an unpublished build never reaches them; an edition that holds attendees-only notes (the packs of
    a private or unlisted event) only reaches the event's members."""
    pack = repo.get(pack_id)
    event = rules.readable(store, caller, pack, pack_id)
    assert pack is not None
    if pack.target.kind == "personal" or rules.is_organiser(store, event.id, caller):
        return served_file_url(pack, fmt, presign=presign)
    fmt = check_format(fmt)
    if event.visibility != "public" and not rules.is_member(store, event.id, caller):
        raise NotFound(f"pack {pack_id} not found")
    pub = published(pack_id)
    if pub is None:
        raise Conflict(f"pack {pack_id} has no publication: its organisers publish it when it is ready")
    if not pub.edition_ready:
        raise Conflict(f"pack {pack_id} is being updated: try again shortly")
    return file_url(pub.bucket, pub.edition, fmt, f"pack-{pack.id}-v{pub.version}", presign=presign)


def served_file_url(pack: Pack, fmt: str | None, *, presign: Callable[..., str] | None = None) -> str:
    """A presigned URL of ``pack``'s served version in ``fmt``, for a caller already authorised."""
    fmt = check_format(fmt)
    if not pack.served or pack.bucket is None:
        raise Conflict(f"pack {pack.id} has no version ready yet (status: {pack.status})")
    return file_url(
        pack.bucket, pack.artifacts, fmt, f"pack-{pack.id}-v{pack.ready_version}", presign=presign
    )


def check_format(fmt: str | None) -> str:
    fmt = fmt or "html"
    if fmt not in FORMATS:
        raise ValidationFailed(FieldError("format", f"must be one of {', '.join(FORMATS)}"))
    return fmt


def file_url(
    bucket: str,
    artifacts: dict[str, Artifact],
    fmt: str,
    stem: str,
    *,
    presign: Callable[..., str] | None = None,
) -> str:
    """A presigned URL of one of ``artifacts`` (a version's files or a publication's edition)."""
    artifact = artifacts.get(fmt)
    if artifact is None:
        raise NotFound(f"this pack has no {fmt} file")
    if presign is None:
        from backchannel.packs.storage import presigned_download as presign
    ext = artifact.key.rsplit(".", 1)[-1]
    return presign(bucket, artifact.key, content_type=artifact.content_type, filename=f"{stem}.{ext}")


def _page(store: ConferenceRepo, page, caller: Caller | None, event_id: str, published: Published) -> dict:
    organiser = rules.is_organiser(store, event_id, caller)
    items = [_view(store, p, caller, published, organiser) for p in page.items]
    return {"items": items, "nextCursor": page.next_cursor}


def session_packs(
    store: ConferenceRepo,
    repo: Any,
    caller: Caller | None,
    session_id: str,
    limit: int,
    cursor: str | None,
    *,
    published: Published = lambda _: None,
) -> dict:
    event = rules.visible_session_event(store, caller, session_id)
    page = repo.list_session(event.id, session_id, limit, cursor)
    return _page(store, page, caller, event.id, published)


def event_packs(
    store: ConferenceRepo,
    repo: Any,
    caller: Caller | None,
    event_id: str,
    limit: int,
    cursor: str | None,
    *,
    published: Published = lambda _: None,
) -> dict:
    from backchannel.conference.rules import visible_event

    visible_event(store, event_id, caller, need_membership=False)
    return _page(store, repo.list_event(event_id, limit, cursor), caller, event_id, published)


def my_packs(repo: Any, caller: Caller, limit: int, cursor: str | None) -> dict:
    page = repo.list_member(caller.member_id, limit, cursor)
    # The event's visibility decides only the stable public URL, never shown for personal packs.
    return {"items": [p.to_json() for p in page.items], "nextCursor": page.next_cursor}
