"""Exports' storage: the export record (``EXPORT#<id>`` / ``EXPORT``, ``gsi2`` ``MEMBER#<id>#EXPORTS``
by id), the member's things read by sweeping the main table in segments
(:mod:`backchannel.core.dynamo.sweep`, as erasure finds them), and the zip in the packs bucket at
``exports/<exportId>/`` (presigned like a pack's files)."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from backchannel.core.aws_clients import client
from backchannel.core.config import get_config
from backchannel.core.dynamo.conditions import get_item, update_if
from backchannel.core.dynamo.convert import to_item, to_model
from backchannel.core.dynamo.table import Item, bind
from backchannel.exports.model import DOWNLOAD_URL_TTL_S, Export
from backchannel.packs.storage import presigned_download, s3_client

SEGMENTS = 8  # the table is swept in this many segments, one after the other: progress per segment
PAGE = 500


class ExportItem(Item, discriminator="Export"):
    id = UnicodeAttribute()
    member_id = UnicodeAttribute(attr_name="memberId")
    status = UnicodeAttribute()
    requested_at = UnicodeAttribute(attr_name="requestedAt")
    progress = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    claimed_at = UnicodeAttribute(null=True, attr_name="claimedAt")
    bucket = UnicodeAttribute(null=True)
    key = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    finished_at = UnicodeAttribute(null=True, attr_name="finishedAt")
    error = UnicodeAttribute(null=True)


def _key(export_id: str) -> ExportItem:
    return ExportItem(pk=f"EXPORT#{export_id}", sk="EXPORT")


class DynamoExportRepo:
    """The production :class:`backchannel.exports.rules.ExportRepo`."""

    def __init__(self) -> None:
        bind()

    def put(self, export: Export) -> None:
        item = to_item(ExportItem, export, pk=f"EXPORT#{export.id}", sk="EXPORT")
        item.gsi2pk, item.gsi2sk = f"MEMBER#{export.member_id}#EXPORTS", export.id
        item.save()

    def get(self, export_id: str) -> Export | None:
        item = get_item(ExportItem, f"EXPORT#{export_id}", "EXPORT", consistent_read=True)
        return to_model(Export, item) if item else None

    def claim(self, export_id: str, attempts: int, now: str) -> bool:
        condition = (ExportItem.status == "building") & (ExportItem.attempts == attempts)
        actions = [ExportItem.attempts.set(attempts + 1), ExportItem.claimed_at.set(now)]
        return update_if(_key(export_id), actions, condition)

    def report(self, export_id: str, progress: int, now: str) -> None:
        actions = [ExportItem.progress.set(progress), ExportItem.claimed_at.set(now)]
        update_if(_key(export_id), actions, ExportItem.status == "building")

    def finish(self, export_id: str, bucket: str, key: str, size: int, now: str) -> None:
        actions = [
            ExportItem.status.set("ready"),
            ExportItem.progress.set(100),
            ExportItem.bucket.set(bucket),
            ExportItem.key.set(key),
            ExportItem.size.set(size),
            ExportItem.finished_at.set(now),
        ]
        update_if(_key(export_id), actions, ExportItem.status == "building")

    def fail(self, export_id: str, reason: str, now: str) -> None:
        actions = [
            ExportItem.status.set("failed"),
            ExportItem.error.set(reason),
            ExportItem.finished_at.set(now),
        ]
        update_if(_key(export_id), actions, ExportItem.status == "building")


class DynamoExportSource:
    """The production :class:`backchannel.exports.rules.Source`: the main table swept segment by
    segment for items that name the member; pack files read from the packs bucket."""

    segments = SEGMENTS

    def __init__(self) -> None:
        self.table = get_config().require("data_table_name")
        self.ddb = client("dynamodb")

    def items(self, member_id: str, segment: int) -> Iterable[dict]:
        from backchannel.core.dynamo.sweep import sweep  # the worker's: the API need not import boto3

        return sweep(self.ddb, self.table, member_id, limit=PAGE, segment=(segment, self.segments))

    def pack_file(self, bucket: str, key: str) -> bytes:
        return s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()


class S3ExportStorage:
    """The production :class:`backchannel.exports.rules.Storage`: the zip in the packs bucket."""

    def __init__(self) -> None:
        self.bucket = get_config().require("packs_bucket_name")

    def put(self, key: str, body: bytes) -> str:
        s3_client().put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/zip")
        return self.bucket


def presign(bucket: str, key: str) -> str:
    """A link to an export's zip that works for :data:`DOWNLOAD_URL_TTL_S` (an hour)."""
    return presigned_download(
        bucket, key, content_type="application/zip", filename="backchannel-export.zip", ttl=DOWNLOAD_URL_TTL_S
    )
