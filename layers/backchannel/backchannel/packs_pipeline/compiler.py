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


on_reset(_stores.cache_clear)
