"""The streaming renderer's skeleton: it receives records one by one and tracks the open section and
group, so that each format only says how to open and close them. Output goes to a binary stream as
it is produced; nothing is kept beyond the current record."""

from __future__ import annotations

from typing import BinaryIO


class StreamingRenderer:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.meta: dict = {}
        self.section: dict | None = None
        self.group: str | None = None

    @property
    def personal(self) -> bool:
        """The owner's own pack ("Your notes"); a circulated personal pack is read by others."""
        return self.meta.get("kind") == "personal" and self.meta.get("audience") == "member"

    def write(self, text: str) -> None:
        self.out.write(text.encode("utf-8"))

    def feed(self, record: tuple) -> None:
        kind = record[0]
        if kind == "begin":
            self.meta = record[1]
            self.begin(record[1])
        elif kind == "section":
            self._close_section()
            self.section = record[1]
            self.open_section(record[1])
        elif kind == "item":
            _, group, data = record
            if group != self.group:
                if self.group is not None:
                    self.close_group(self.group)
                self.group = group
                self.open_group(group)
            self.item(group, data)
        elif kind == "end":
            self._close_section()
            self.end(record[1])
        else:
            raise ValueError(f"unknown record {kind!r}")

    def _close_section(self) -> None:
        if self.group is not None:
            self.close_group(self.group)
            self.group = None
        if self.section is not None:
            self.close_section(self.section)
            self.section = None

    # -- what each format says ---------------------------------------------------------------------

    def begin(self, meta: dict) -> None: ...
    def open_section(self, section: dict) -> None: ...
    def open_group(self, group: str) -> None: ...
    def item(self, group: str, data: dict) -> None: ...
    def close_group(self, group: str) -> None: ...
    def close_section(self, section: dict) -> None: ...
    def end(self, tail: dict) -> None: ...
