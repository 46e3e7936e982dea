"""Erasure's storage: the erasure record (``ERASURE#<id>`` / ``ERASURE``) and the sweeps.

A sweep reads a whole table page by page (:mod:`backchannel.core.dynamo.sweep`: a ``Scan``, only on a
queue, never a request path) and acts on every item that names the member anywhere (a key, an
attribute, a nested value):

| item | action |
|---|---|
| ``Vote`` by them | withdrawn through the questions repo (the question's count corrected) |
| ``Follow`` by or of them | unfollowed through the network repo (both counters corrected) |
| ``Post``, ``Note`` by them | deleted through the capture repo (the stream tells live, resources, packs) |
| ``Question`` by them | deleted with every vote on it |
| personal ``Pack`` of theirs | its partition (publications, counters) and every S3 object version |
| ``Export`` of theirs | every S3 object version of its zip, then the record |
| ``Event``, ``Session``, ``Summary``, ``Publication``, ``ScheduleImport``, ``AuditEntry`` (others' records) | kept; the member's id replaced by the opaque one |
| ``ResourceSharer``, ``ResourceShare`` | left to the resources worker, which drops them when the post or note goes |
| anything else naming them | deleted |

The idempotency and connections tables lose every item naming them (rate-limit counters, stored
responses, live connections and subscriptions).
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeSerializer
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from backchannel.capture.dynamo import DynamoCaptureRepo
from backchannel.circulation.dynamo import DynamoCirculationRepo
from backchannel.core.aws_clients import client
from backchannel.core.config import get_config
from backchannel.core.dynamo.conditions import get_item
from backchannel.core.dynamo.convert import to_item, to_model
from backchannel.core.dynamo.sweep import names, sweep_page
from backchannel.core.dynamo.table import Item, bind
from backchannel.erasure.model import Erasure
from backchannel.erasure.rules import opaque_id
from backchannel.exports.model import export_prefix
from backchannel.questions.dynamo import DynamoQuestionsRepo

PAGE = 200
# others' records: kept, the member's id replaced by the opaque one (moderation's audit log included)
KEPT = frozenset(
    {"Event", "Session", "Summary", "Publication", "ScheduleImport", "DeliveryStats", "AuditEntry"}
)
LEFT_TO_THE_LEDGER = frozenset({"ResourceSharer", "ResourceShare", "Resource"})
KEYS = ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")


class ErasureItem(Item, discriminator="Erasure"):
    id = UnicodeAttribute()
    member_id = UnicodeAttribute(null=True, attr_name="memberId")
    status = UnicodeAttribute()
    step = UnicodeAttribute()
    cursor = UnicodeAttribute(null=True)
    erased = NumberAttribute(default=0)
    event_ids = UnicodeSetAttribute(null=True, attr_name="eventIds")
    requested_at = UnicodeAttribute(attr_name="requestedAt")
    finished_at = UnicodeAttribute(null=True, attr_name="finishedAt")


class DynamoErasureRepo:
    def __init__(self) -> None:
        bind()

    def put(self, erasure: Erasure) -> None:
        self.save(erasure)

    def save(self, erasure: Erasure) -> None:
        item = to_item(ErasureItem, erasure, pk=f"ERASURE#{erasure.id}", sk="ERASURE")
        item.event_ids = set(erasure.event_ids) or None
        item.save()

    def get(self, erasure_id: str) -> Erasure | None:
        item = get_item(ErasureItem, f"ERASURE#{erasure_id}", "ERASURE", consistent_read=True)
        if item is None:
            return None
        return to_model(Erasure, item, event_ids=set(item.event_ids or ()))


def replaced(value: Any, member_id: str, opaque: str) -> Any:
    if isinstance(value, str):
        return value.replace(member_id, opaque)
    if isinstance(value, dict):
        return {k: replaced(v, member_id, opaque) for k, v in value.items()}
    if isinstance(value, list):
        return [replaced(v, member_id, opaque) for v in value]
    if isinstance(value, set):
        return {replaced(v, member_id, opaque) for v in value}
    return value


class DynamoSweeper:
    """The sweeps of :func:`backchannel.erasure.rules.run`, and the user pool."""

    def __init__(self, storage_bucket: str | None = None) -> None:
        bind()
        cfg = get_config()
        self.tables = {
            "data": (cfg.require("data_table_name"), ("pk", "sk")),
            "idempotency": (cfg.require("idempotency_table_name"), ("id",)),
            "connections": (cfg.require("connections_table_name"), ("pk", "sk")),
        }
        self.bucket = storage_bucket or cfg.packs_bucket_name
        self.pool_id = cfg.user_pool_id
        self.ddb = client("dynamodb")
        self.capture, self.questions = DynamoCaptureRepo(), DynamoQuestionsRepo()
        self.network = DynamoCirculationRepo()

    # -- the sweep ---------------------------------------------------------------------------------

    def sweep(self, step: str, erasure: Erasure, cursor: str | None) -> tuple[int, set[str], str | None]:
        table, key_names = self.tables[step]
        member_id, erased, events = erasure.member_id or "", 0, set()
        page = sweep_page(self.ddb, table, member_id, cursor, limit=PAGE)
        for raw, item in page.items:
            key = {k: raw[k] for k in key_names}
            if step != "data":
                self.ddb.delete_item(TableName=table, Key=key)
                erased += 1
                continue
            erased += self.erase_item(table, key, item, member_id)
            if isinstance(item.get("eventId"), str) and item.get("type") != "Event":
                events.add(item["eventId"])
        if step == "data" and not page.cursor:  # their follow counters last: the unfollows above update them
            self.ddb.delete_item(
                TableName=table, Key={"pk": {"S": f"FOLLOWSTATS#member#{member_id}"}, "sk": {"S": "STATS"}}
            )
        return erased, events, page.cursor

    def erase_item(self, table: str, key: dict, item: dict, member_id: str) -> int:
        kind = item.get("type")
        if kind in LEFT_TO_THE_LEDGER or (kind == "FollowStats" and item["pk"].endswith(f"#{member_id}")):
            return 0
        if kind == "Vote" and item["sk"] == f"VOTE#{member_id}":
            question = self.questions.get_question(item["pk"].removeprefix("QUESTION#"), consistent=True)
            if question is not None and self.questions.remove_vote(question, member_id):
                return 1
        elif kind == "Follow":
            target_kind, _, target_id = item["sk"].removeprefix("FOLLOW#").partition("#")
            if self.network.unfollow(item["pk"].removeprefix("MEMBER#"), target_kind, target_id):
                return 1
        elif kind == "Post" and item.get("authorId") == member_id:
            post = self.capture.get_post(item["id"])
            if post is not None:
                self.capture.delete_post(post)
                return 1
        elif kind == "Note" and item.get("authorId") == member_id:
            note = self.capture.get_note(item["id"])
            if note is not None:
                self.capture.delete_note(note)
                return 1
        elif kind == "Question" and item.get("askerId") == member_id:
            return self.delete_partition(table, item["pk"])
        elif kind == "Pack" and item.get("memberId") == member_id:
            self.delete_objects(f"packs/{item['id']}/", f"editions/{item['id']}/")
            return self.delete_partition(table, item["pk"])
        elif kind == "Export" and item.get("memberId") == member_id:  # its zip, then the record below
            self.delete_objects(export_prefix(item["id"]))
        elif kind in KEPT and not any(member_id in str(item.get(k) or "") for k in KEYS):
            return self.anonymise(table, key, item, member_id)
        self.ddb.delete_item(TableName=table, Key=key)
        return 1

    def anonymise(self, table: str, key: dict, item: dict, member_id: str) -> int:
        opaque = opaque_id(member_id)
        changed = {k: replaced(v, member_id, opaque) for k, v in item.items() if names(v, member_id)}
        names_, values = {}, {}
        for n, (attr, value) in enumerate(changed.items()):
            names_[f"#a{n}"], values[f":v{n}"] = attr, value
        typed = {k: TypeSerializer().serialize(v) for k, v in values.items()}
        self.ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET " + ", ".join(f"#a{n} = :v{n}" for n in range(len(changed))),
            ExpressionAttributeNames=names_,
            ExpressionAttributeValues=typed,
        )
        return 1

    def delete_partition(self, table: str, pk: str) -> int:
        """Every item of one partition (a question and its votes; a personal pack and its records)."""
        count, start = 0, None
        while True:
            args: dict[str, Any] = {
                "TableName": table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": pk}},
                "ProjectionExpression": "pk, sk",
                "ConsistentRead": True,
            }
            if start:
                args["ExclusiveStartKey"] = start
            page = self.ddb.query(**args)
            for key in page.get("Items", []):
                self.ddb.delete_item(TableName=table, Key=key)
                count += 1
            start = page.get("LastEvaluatedKey")
            if not start:
                return count

    def delete_objects(self, *prefixes: str) -> None:
        """Every version and delete marker under ``prefixes`` (the bucket is versioned)."""
        if not self.bucket:
            return
        s3 = client("s3")
        for prefix in prefixes:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=prefix):
                doomed = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in (*page.get("Versions", []), *page.get("DeleteMarkers", []))
                ]
                for n in range(0, len(doomed), 1000):
                    s3.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": doomed[n : n + 1000], "Quiet": True}
                    )

    # -- the user pool -----------------------------------------------------------------------------

    def delete_user(self, member_id: str) -> None:
        """Their user in the pool (the member id is the user's ``sub``); gone already is fine."""
        if not self.pool_id:
            return
        cognito = client("cognito-idp")
        found = cognito.list_users(UserPoolId=self.pool_id, Filter=f'sub = "{member_id}"', Limit=1)
        for user in found.get("Users", []):
            cognito.admin_delete_user(UserPoolId=self.pool_id, Username=user["Username"])
