"""Exports: ``POST /me/export`` records an export (the stream turns it into ``ExportRequested``), the
export worker builds its zip (:func:`build`), and ``GET /me/exports/{id}`` shows it to its member only,
with a presigned link of :data:`~backchannel.exports.model.DOWNLOAD_URL_TTL_S` when it is ready.

One message, one zip, at most: the worker claims the build with a conditional write on its attempt
count. A redelivery of a finished export (``ready`` or ``failed``) does nothing; one that arrives while
another worker builds and reports is retried later (by then the export is finished); a build that
stopped reporting (its worker timed out or died) is taken over, at most
:data:`~backchannel.exports.model.MAX_ATTEMPTS` times, then the export ends ``failed``. A build that
raises ends ``failed`` at once: the member asks again. Never stuck in ``building``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Protocol

from backchannel.core.errors import DomainError, NotFound
from backchannel.core.ids import new_ulid
from backchannel.core.model import Caller, iso, utcnow
from backchannel.core.observability import logger
from backchannel.exports.contents import gather
from backchannel.exports.model import DOWNLOAD_URL_TTL_S, MAX_ATTEMPTS, STALE_BUILD_S, Export, export_key
from backchannel.exports.render import document, zipped

PACK_FILES = {"md": "pack.md", "json": "pack.json"}  # of a personal pack's served version, into the zip


class ExportRepo(Protocol):
    def put(self, export: Export) -> None: ...
    def get(self, export_id: str) -> Export | None: ...
    def claim(self, export_id: str, attempts: int, now: str) -> bool:
        """``building`` with ``attempts`` builds started -> one more, reporting ``now``; False: lost."""
        ...

    def report(self, export_id: str, progress: int, now: str) -> None: ...
    def finish(self, export_id: str, bucket: str, key: str, size: int, now: str) -> None: ...
    def fail(self, export_id: str, reason: str, now: str) -> None: ...


class Source(Protocol):
    """Where a member's things are read: the table's segments (each swept whole) and pack files."""

    segments: int

    def items(self, member_id: str, segment: int) -> Iterable[dict]: ...
    def pack_file(self, bucket: str, key: str) -> bytes: ...


class Storage(Protocol):
    def put(self, key: str, body: bytes) -> str:
        """Store the zip; returns its bucket."""
        ...


class BuildRunning(DomainError, status=409, title="Conflict"):
    """Another worker is building this export and reporting: try this message again later."""


def request_export(repo: ExportRepo, caller: Caller, *, now: dt.datetime | None = None) -> Export:
    export = Export(new_ulid(), caller.member_id, "building", requested_at=iso(now or utcnow()))
    repo.put(export)
    return export


def view(
    repo: ExportRepo,
    caller: Caller,
    export_id: str,
    presign: Callable[[str, str], str],
    *,
    now: dt.datetime | None = None,
) -> dict:
    """An export as its member sees it (anyone else: not found), with a fresh link when ready."""
    export = repo.get(export_id)
    if export is None or export.member_id != caller.member_id:
        raise NotFound(f"export {export_id} not found")
    if export.status != "ready" or not export.bucket or not export.key:
        return export.to_json()
    expires = (now or utcnow()) + dt.timedelta(seconds=DOWNLOAD_URL_TTL_S)
    return export.to_json(presign(export.bucket, export.key), iso(expires))


def build(
    repo: ExportRepo,
    source: Source,
    storage: Storage,
    export_id: str,
    *,
    now: Callable[[], dt.datetime] = utcnow,
) -> Export | None:
    """Build an export's zip once (see the module). Returns the export as it ends; None: no such export."""
    export = repo.get(export_id)
    if export is None or export.status != "building":
        return export  # done already (a redelivered message), or gone with its member
    stamp = now()
    if export.claimed_at and stamp - _time(export.claimed_at) < dt.timedelta(seconds=STALE_BUILD_S):
        raise BuildRunning(f"export {export_id} is being built")
    if export.attempts >= MAX_ATTEMPTS:
        repo.fail(export_id, f"the build stopped {export.attempts} times; ask for a new export", iso(stamp))
        return repo.get(export_id)
    if not repo.claim(export_id, export.attempts, iso(stamp)):
        raise BuildRunning(f"export {export_id} was claimed by another worker")
    try:
        _build(repo, source, storage, export, now)
    except Exception:
        logger.exception("export build failed", extra={"export_id": export_id})
        repo.fail(export_id, "the export could not be built; ask for a new one", iso(now()))
    return repo.get(export_id)


def _build(repo: ExportRepo, source: Source, storage: Storage, export: Export, now) -> None:
    items: list[dict] = []
    for segment in range(source.segments):
        items += source.items(export.member_id, segment)
        repo.report(export.id, 5 + 80 * (segment + 1) // source.segments, iso(now()))
    sections = gather(items, export.member_id)
    files = {}
    for pack in sections["packs"]:
        for fmt, name in PACK_FILES.items():
            artifact = (pack.get("artifacts") or {}).get(fmt)
            if pack.get("bucket") and artifact and artifact.get("key"):
                files[f"packs/{pack['id']}/{name}"] = source.pack_file(pack["bucket"], artifact["key"])
    repo.report(export.id, 90, iso(now()))
    body = zipped(document(export.member_id, iso(now()), sections), files)
    key = export_key(export.id)
    bucket = storage.put(key, body)
    repo.finish(export.id, bucket, key, len(body), iso(now()))


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
