"""What the HTML and EPUB renderers write alike: each group and item as its fragment, a line each."""

from __future__ import annotations

from backchannel.packs.render import fragments as f
from backchannel.packs.render.base import StreamingRenderer


class MarkupRenderer(StreamingRenderer):
    def open_group(self, group: str) -> None:
        self.write(f.group_open(group, self.personal) + "\n")

    def item(self, group: str, data: dict) -> None:
        self.write(f.item(group, data) + "\n")

    def close_group(self, group: str) -> None:
        self.write(f.group_close(group) + "\n")
