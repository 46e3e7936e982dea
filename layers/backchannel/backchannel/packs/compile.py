"""Compile a pack: one pass over its content (``content.py``), each record fanned out to the four
streaming renderers, each writing through its own writer as it goes. See ``docs/packs.md``."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass
from typing import Any, BinaryIO

from backchannel.core import wiring
from backchannel.packs.content import PackContent
from backchannel.packs.model import GROUPS, Pack
from backchannel.packs.render.to_epub import EpubRenderer
from backchannel.packs.render.to_html import HtmlRenderer
from backchannel.packs.render.to_json import JsonRenderer
from backchannel.packs.render.to_markdown import MarkdownRenderer

KINDS = ("session", "event", "personal")


@dataclass(frozen=True)
class PackSpec:
    pack_id: str
    version: int
    kind: str  # "session" | "event" | "personal"
    target_id: str  # session id, event id, or event id for a personal pack
    member_id: str | None = None  # personal packs: whose
    edition: str = "full"  # full (its owner's or organisers') | circulated (what travels: content.py)
    restrict: frozenset[str] | None = None  # a retraction rebuild: keep only what this manifest held


FORMATS = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "epub": "application/epub+zip",
}
RENDERERS = {"html": HtmlRenderer, "md": MarkdownRenderer, "json": JsonRenderer, "epub": EpubRenderer}


MANIFEST = "manifest.json"  # a circulated edition's list of what it holds (not served)


@dataclass(frozen=True)
class Artifact:
    format: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Compiled:
    """What a compile produced beside its files: the edition's manifest and the notes it left out."""

    manifest: frozenset[str]
    left_out: dict[str, int]


class _Counting:
    """The writer, counting and hashing what goes through it (zipfile needs ``tell``, given here)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.size = 0
        self.hash = hashlib.sha256()

    def write(self, data) -> int:
        data = bytes(data)
        self.raw.write(data)
        self.size += len(data)
        self.hash.update(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        flush = getattr(self.raw, "flush", None)
        if flush:
            flush()


def compile_pack(
    spec: PackSpec,
    *,
    store,
    capture,
    questions=None,
    resources=None,
    open_writer: Callable[[str, str], ContextManager[BinaryIO]],
    progress: Callable[[int, int | None], None] = lambda done, total: None,
    compiled: Callable[[Compiled], None] | None = None,
) -> list[Artifact]:
    """Reads the pack's content from the stores and writes each format through
    ``open_writer(format, content_type)``. Raises ``backchannel.core.errors.NotFound`` if the target
    doesn't exist (before any writer is opened). A circulated edition also writes its manifest
    (``manifest.json``); ``compiled`` is told the manifest and what was left out."""
    if spec.kind not in KINDS:
        raise ValueError(f"unknown pack kind {spec.kind!r}")
    content = PackContent(spec, store=store, capture=capture, questions=questions, resources=resources)
    content.resolve()  # NotFound before anything is written
    records = content.records()
    with contextlib.ExitStack() as stack:
        outs = {
            fmt: _Counting(stack.enter_context(open_writer(fmt, ctype))) for fmt, ctype in FORMATS.items()
        }
        renderers = [RENDERERS[fmt](out) for fmt, out in outs.items()]
        for n, record in enumerate(records):
            for renderer in renderers:
                renderer.feed(record)
            if n % 100 == 0:
                progress(content.count, None)
        for out in outs.values():
            out.flush()
    if content.edition == "circulated":
        with open_writer(MANIFEST, "application/json") as raw:
            raw.write(json.dumps(sorted(content.manifest)).encode())
    if compiled is not None:
        compiled(Compiled(frozenset(content.manifest), dict(content.left_out)))
    progress(content.count, content.count)
    return [Artifact(fmt, FORMATS[fmt], out.size, out.hash.hexdigest()) for fmt, out in outs.items()]


# ---------------------------------------------------------------------------------------------------
# wired to the production repos (the packs and fan-out workers, the publisher's preview)
# ---------------------------------------------------------------------------------------------------


@wiring.factory
def _stores() -> dict[str, Any]:
    from backchannel.capture.dynamo import DynamoCaptureRepo
    from backchannel.conference.dynamo import DynamoConferenceRepo
    from backchannel.questions.dynamo import DynamoQuestionsRepo
    from backchannel.resources.dynamo import DynamoResourcesRepo

    return {
        "store": DynamoConferenceRepo(),
        "capture": DynamoCaptureRepo(),
        "questions": DynamoQuestionsRepo(),
        "resources": DynamoResourcesRepo(),
    }


def compile_with_stores(
    pack: Pack, open_writer: Callable[[str, str], Any], progress: Callable[[int, int | None], None]
) -> list[Any]:

    t = pack.target
    spec = PackSpec(pack.id, pack.version, t.kind, t.target_id, t.member_id)
    return compile_pack(spec, **_stores(), open_writer=open_writer, progress=progress)


def compile_edition(
    pub: Any,
    open_writer: Callable[[str, str], Any],
    compiled: Callable[[Any], None],
    *,
    restrict: frozenset[str] | None = None,
) -> list[Any]:
    """The circulated edition of a publication (``circulation.model.Publication``)."""

    spec = PackSpec(
        pub.pack_id,
        pub.version,
        pub.kind,
        pub.target_id,
        pub.owner_id if pub.kind == "personal" else None,
        edition="circulated",
        restrict=restrict,
    )
    return compile_pack(spec, **_stores(), open_writer=open_writer, compiled=compiled)


def count_edition(pack: Pack) -> tuple[dict[str, int], dict[str, int]]:
    """What the circulated edition of ``pack`` would hold now, by group, and the notes it would leave
    out, by reason (the publisher's preview: read like a build, nothing rendered or written)."""
    from backchannel.packs.content import PackContent

    t = pack.target
    spec = PackSpec(pack.id, pack.version, t.kind, t.target_id, t.member_id, edition="circulated")
    content = PackContent(spec, **_stores())
    includes = dict.fromkeys(GROUPS, 0)
    for record in content.records():
        if record[0] == "item":
            includes[record[1]] += 1
    return includes, dict(content.left_out)
