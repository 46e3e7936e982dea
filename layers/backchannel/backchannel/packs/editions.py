"""The circulated edition of a published version, built into S3 (``Publication.edition``).

An edition is compiled from the tables like any build, as the ``circulated`` edition of the pack
(``packs.content``: built for its audience), into a folder of its own that no later build of the pack
touches. A retraction rebuild passes the manifest of the edition it replaces, so it can only remove.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from backchannel.packs.model import Artifact


@dataclass(frozen=True)
class Edition:
    bucket: str
    prefix: str
    files: dict[str, Artifact]
    left_out: dict[str, int]
    manifest: frozenset[str] = frozenset()


def edition_folder(pub: Any) -> str | None:
    """The S3 folder of a publication's current edition."""
    html = pub.edition.get("html") if pub.edition else None
    return html.key.rsplit("/", 1)[0] + "/" if html is not None else None


class S3Editions:
    """Builds editions with the production stores into the packs bucket."""

    def __init__(self, storage: Any, compile_edition: Any = None) -> None:
        self.storage = storage
        if compile_edition is None:
            from backchannel.packs.compile import compile_edition
        self.compile_edition = compile_edition

    def build(self, pub: Any, revision: int, restrict: frozenset[str] | None) -> Edition:
        """Raises ``NotFound`` if what the pack is of is gone."""
        writer = self.storage.edition_writer(pub.pack_id, pub.version, f"r{revision}-{secrets.token_hex(6)}")
        prefix = writer.prefix
        compiled: list[Any] = []
        try:
            produced = self.compile_edition(pub, writer.open, compiled.append, restrict=restrict)
        except BaseException:
            self.storage.remove_prefix(writer.bucket, prefix)
            raise
        files = {
            a.format: Artifact(a.format, a.content_type, writer.keys[a.format], int(a.size), a.sha256)
            for a in produced
        }
        left_out = dict(compiled[0].left_out) if compiled else {}
        manifest = frozenset(compiled[0].manifest) if compiled else frozenset()
        return Edition(writer.bucket, prefix, files, left_out, manifest)

    def manifest(self, pub: Any) -> frozenset[str]:
        from backchannel.packs.compile import MANIFEST

        folder = edition_folder(pub)
        if folder is None or pub.bucket is None:
            return frozenset()
        return frozenset(self.storage.read_json(pub.bucket, folder + MANIFEST))

    def discard(self, bucket: str, prefix: str) -> None:
        self.storage.remove_prefix(bucket, prefix)
