"""S3 for packs: versioned keys, a streaming multipart writer, presigned downloads.

Keys: ``packs/<packId>/v<version>/pack.<ext>``. The pack item points at its served version; a
download always resolves that version, so a superseded one is never handed out, and its files are
deleted once a newer version is served (bucket versioning keeps them for the lifecycle's few days).

A published version's circulated edition lives apart, under
``editions/<packId>/v<version>/r<revision>-<ulid>/`` (one folder per build, so two racing builds never
write into each other's files): it stays as long as its publication, whatever builds of the pack
follow; a retraction rebuild writes the next revision and deletes the one before.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from typing import Any

from backchannel.core import aws_clients
from backchannel.core.lazy import LazyClient
from backchannel.packs.settings import DOWNLOAD_URL_TTL_S, PART_SIZE

EXTENSIONS = {"html": "html", "md": "md", "json": "json", "epub": "epub"}


def s3_client() -> Any:
    return aws_clients.client("s3", read_timeout=10, signature_version="s3v4")


def version_prefix(pack_id: str, version: int) -> str:
    return f"packs/{pack_id}/v{version}/"


def edition_prefix(pack_id: str, version: int, label: str) -> str:
    return f"editions/{pack_id}/v{version}/{label}/"


def object_key(pack_id: str, version: int, name: str, *, prefix: str | None = None) -> str:
    """The key of a format (``html`` -> ``pack.html``) or of a named file of one version (or of the
    folder ``prefix``)."""
    folder = prefix if prefix is not None else version_prefix(pack_id, version)
    if name in EXTENSIONS:
        return f"{folder}pack.{EXTENSIONS[name]}"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "file"
    return f"{folder}{safe}"


class _Upload(io.RawIOBase):
    """A write-only, non-seekable stream into one S3 object: one ``put_object`` if it stays under a
    part, otherwise a multipart upload (parts of ``part_size``, the last one smaller)."""

    def __init__(self, client: Any, bucket: str, key: str, content_type: str, part_size: int) -> None:
        super().__init__()
        self.client, self.bucket, self.key, self.content_type = client, bucket, key, content_type
        self.part_size = max(part_size, 5 * 1024 * 1024)
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.size

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.buffer += chunk
        self.size += len(chunk)
        while len(self.buffer) >= self.part_size:
            self._part(bytes(self.buffer[: self.part_size]))
            del self.buffer[: self.part_size]
        return len(chunk)

    def _part(self, body: bytes) -> None:
        if self.upload_id is None:
            self.upload_id = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=self.content_type
            )["UploadId"]
        number = len(self.parts) + 1
        etag = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
        )["ETag"]
        self.parts.append({"ETag": etag, "PartNumber": number})

    def finish(self) -> None:
        if self.upload_id is None:
            self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer), ContentType=self.content_type
            )
            return
        if self.buffer or not self.parts:
            self._part(bytes(self.buffer))
        self.buffer.clear()
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
        )

    def abort(self) -> None:
        if self.upload_id is not None:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
            self.upload_id = None


class PackWriter:
    """``open_writer`` of one version of one pack; ``keys`` records what was written (name -> key)."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        pack_id: str,
        version: int,
        *,
        part_size: int = PART_SIZE,
        prefix: str | None = None,
    ) -> None:
        self.client, self.bucket, self.pack_id, self.version = client, bucket, pack_id, version
        self.part_size = part_size
        self.prefix = prefix
        self.keys: dict[str, str] = {}

    @contextlib.contextmanager
    def open(self, name: str, content_type: str) -> Iterator[_Upload]:
        key = object_key(self.pack_id, self.version, name, prefix=self.prefix)
        upload = _Upload(self.client, self.bucket, key, content_type, self.part_size)
        try:
            yield upload
            upload.finish()
        except BaseException:
            upload.abort()
            raise
        self.keys[name] = key


class S3Storage:
    """The production :class:`backchannel.packs.service.Storage`."""

    def __init__(self, bucket: str, client: Any = None, *, part_size: int = PART_SIZE) -> None:
        self.bucket = bucket
        self._client = client
        self.part_size = part_size

    client = LazyClient(s3_client)

    def writer(self, pack_id: str, version: int) -> PackWriter:
        return PackWriter(self.client, self.bucket, pack_id, version, part_size=self.part_size)

    def edition_writer(self, pack_id: str, version: int, label: str) -> PackWriter:
        """The writer of one build of a published version's circulated edition."""
        prefix = edition_prefix(pack_id, version, label)
        return PackWriter(self.client, self.bucket, pack_id, version, part_size=self.part_size, prefix=prefix)

    def read_json(self, bucket: str, key: str) -> Any:
        return json.loads(self.client.get_object(Bucket=bucket, Key=key)["Body"].read())

    def remove_version(self, bucket: str, pack_id: str, version: int) -> None:
        """Delete every version below ``version`` of the pack (the superseded ones)."""
        pattern = re.compile(rf"packs/{re.escape(pack_id)}/v(\d+)/")
        self._remove(bucket, f"packs/{pack_id}/", lambda key: _below(pattern, key, version))

    def remove_prefix(self, bucket: str, prefix: str) -> None:
        """Delete one build of an edition (replaced by a retraction rebuild, or lost a race)."""
        self._remove(bucket, prefix, lambda _: True)

    def _remove(self, bucket: str, prefix: str, wanted) -> None:
        """Every version of the objects (the bucket is versioned: a plain delete would keep the words
        of a withdrawn note or an erased member as a noncurrent version for days)."""
        paginator = self.client.get_paginator("list_object_versions")
        stale = []
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            stale += [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in (*page.get("Versions", []), *page.get("DeleteMarkers", []))
                if wanted(v["Key"])
            ]
        for start in range(0, len(stale), 1000):
            self.client.delete_objects(Bucket=bucket, Delete={"Objects": stale[start : start + 1000]})


def _below(pattern: re.Pattern, key: str, version: int) -> bool:
    found = pattern.match(key)
    return found is not None and int(found.group(1)) < version


def presigned_download(
    bucket: str,
    key: str,
    *,
    content_type: str,
    filename: str,
    client: Any = None,
    ttl: int = DOWNLOAD_URL_TTL_S,
) -> str:
    """A short-lived URL of one object (``ttl`` seconds), served as an attachment named ``filename``."""
    return (client or s3_client()).generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        },
        ExpiresIn=ttl,
    )
