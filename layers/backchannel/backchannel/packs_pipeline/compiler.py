"""The compiler, wired to the production stores (imported by the worker only)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from backchannel.config import on_reset
from backchannel.packs_pipeline.rules import Pack


@functools.cache
def _stores() -> dict[str, Any]:
    from backchannel.data.capture import DynamoCaptureStore
    from backchannel.data.questions import DynamoQuestionStore
    from backchannel.data.resources import DynamoResourceLedger
    from backchannel.data.store import DynamoStore

    return {
        "store": DynamoStore(),
        "capture": DynamoCaptureStore(),
        "questions": DynamoQuestionStore(),
        "resources": DynamoResourceLedger(),
    }


def compile_with_stores(
    pack: Pack, open_writer: Callable[[str, str], Any], progress: Callable[[int, int | None], None]
) -> list[Any]:
    from backchannel.packs.compile import PackSpec, compile_pack

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
    from backchannel.packs.compile import PackSpec, compile_pack

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
    from backchannel.packs.compile import PackSpec
    from backchannel.packs.content import GROUPS, PackContent

    t = pack.target
    spec = PackSpec(pack.id, pack.version, t.kind, t.target_id, t.member_id, edition="circulated")
    content = PackContent(spec, **_stores())
    includes = dict.fromkeys(GROUPS, 0)
    for record in content.records():
        if record[0] == "item":
            includes[record[1]] += 1
    return includes, dict(content.left_out)


on_reset(_stores.cache_clear)
