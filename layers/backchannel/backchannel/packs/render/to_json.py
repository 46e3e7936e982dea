"""JSON, schema version 1 (``docs/packs.md``), written incrementally: the document is opened, each
section and item is appended as it arrives, and it is closed at the end."""

from __future__ import annotations

import json

from backchannel.packs.model import GROUPS
from backchannel.packs.render.base import StreamingRenderer

SCHEMA_URI = "https://backchannel.example/schemas/pack/v1.json"


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class JsonRenderer(StreamingRenderer):
    def __init__(self, out) -> None:
        super().__init__(out)
        self.sections = 0
        self.done: list[str] = []
        self.items = 0

    def begin(self, meta: dict) -> None:
        head = {"$schema": SCHEMA_URI, **meta}
        self.write(_dump(head)[:-1] + ',"sections":[')

    def open_section(self, section: dict) -> None:
        self.write(("," if self.sections else "") + _dump(section)[:-1])
        self.sections += 1
        self.done = []

    def open_group(self, group: str) -> None:
        self._fill(group)
        self.done.append(group)
        self.items = 0
        self.write(f',"{group}":' + ("" if group == "summary" else "["))

    def item(self, group: str, data: dict) -> None:
        if group == "summary":
            self.write(_dump(data))
            return
        self.write(("," if self.items else "") + _dump(data))
        self.items += 1

    def close_group(self, group: str) -> None:
        if group != "summary":
            self.write("]")

    def _fill(self, before: str | None) -> None:
        """Groups with no items still appear (null summary, empty lists), in GROUPS order."""
        for group in GROUPS:
            if group == before:
                return
            if group not in self.done:
                self.done.append(group)
                self.write(f',"{group}":' + ("null" if group == "summary" else "[]"))

    def close_section(self, section: dict) -> None:
        self._fill(None)
        self.write("}")

    def end(self, tail: dict) -> None:
        self.write("]," + _dump(tail)[1:] + "\n")
