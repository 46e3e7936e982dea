"""Handing an import to the worker, and what the worker reads: the queue (SQS, one message per import:
``{"importId": …}``) and, for a document given in the request, the bucket it waits in
(``imports/<importId>``; the bucket's lifecycle deletes what the worker did not)."""

from __future__ import annotations

import json
from typing import Any

from backchannel.core import aws_clients
from backchannel.core.config import get_config


def _key(import_id: str) -> str:
    return f"imports/{import_id}"


class ImportJobs:
    """The queue and the bucket of schedule imports; clients are made on first use."""

    def __init__(self, sqs: Any = None, s3: Any = None) -> None:
        self._sqs, self._s3 = sqs, s3

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = aws_clients.client("sqs")
        return self._sqs

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = aws_clients.client("s3", read_timeout=20, signature_version="s3v4")
        return self._s3

    def submit(self, import_id: str, document: str | None) -> None:
        """Keep ``document`` (if given) for the worker, then queue the import."""
        if document is not None:
            self.s3.put_object(
                Bucket=get_config().require("schedule_imports_bucket_name"),
                Key=_key(import_id),
                Body=document.encode("utf-8", errors="surrogatepass"),
                ContentType="text/plain; charset=utf-8",
            )
        self.sqs.send_message(
            QueueUrl=get_config().require("schedule_import_queue_url"),
            MessageBody=json.dumps({"importId": import_id}),
        )

    def document(self, import_id: str) -> str:
        answer = self.s3.get_object(
            Bucket=get_config().require("schedule_imports_bucket_name"), Key=_key(import_id)
        )
        return answer["Body"].read().decode("utf-8", errors="surrogatepass")

    def discard(self, import_id: str) -> None:
        self.s3.delete_object(
            Bucket=get_config().require("schedule_imports_bucket_name"), Key=_key(import_id)
        )
