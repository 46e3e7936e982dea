"""Rate-limit counters (:mod:`backchannel.core.limits`): one conditional ``UpdateItem`` per request.

| counter | table | key | TTL attribute |
|---|---|---|---|
| a member's requests of a class | ``IdempotencyTable`` | ``id`` = ``limit#<class>#<memberId>#<long window start>`` | ``expiration`` |
| a connection's subscribes | ``ConnectionsTable`` | ``pk`` = ``LIMIT#subscribe#<connectionId>#<window start>``, ``sk`` = ``LIMIT`` | ``expiresAt`` |

Both tables have no stream, a TTL, and are written by the functions that charge them already (every
API function keeps its idempotency records in the first, the WebSocket function its connections in
the second). An item holds ``n`` (the long window's count) and ``w<start>`` (each short window's), and
lives until its long window is over (plus a minute); its key is never read again afterwards, so the
TTL's lag does not matter. The attribute names change with the window, which PynamoDB's declared
models cannot express: this is the plain client's ``UpdateItem``.
"""

from __future__ import annotations

from collections.abc import Callable

from backchannel.core import aws_clients
from backchannel.core.config import get_config

_BUSY = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}


class DynamoCounter:
    """The :class:`backchannel.core.limits.Counter` of one table."""

    def __init__(self, setting: str, key: Callable[[str], dict], ttl_attribute: str) -> None:
        self.setting = setting
        self.key = key
        self.ttl_attribute = ttl_attribute

    @classmethod
    def requests(cls) -> DynamoCounter:
        """A member's API requests, in the idempotency table."""
        return cls("idempotency_table_name", lambda k: {"id": {"S": f"limit#{k}"}}, "expiration")

    @classmethod
    def connections(cls) -> DynamoCounter:
        """A WebSocket connection's actions, in the connections table."""
        return cls(
            "connections_table_name",
            lambda k: {"pk": {"S": f"LIMIT#{k}"}, "sk": {"S": "LIMIT"}},
            "expiresAt",
        )

    def charge(self, key: str, windows: list[tuple[str, int]], expires_at: int) -> dict[str, int] | None:
        from botocore.exceptions import ClientError

        names = {f"#c{i}": name for i, (name, _) in enumerate(windows)} | {"#ttl": self.ttl_attribute}
        values = {f":max{i}": {"N": str(most)} for i, (_, most) in enumerate(windows)}
        values |= {":one": {"N": "1"}, ":ttl": {"N": str(expires_at)}}
        below = [f"(attribute_not_exists(#c{i}) OR #c{i} < :max{i})" for i in range(len(windows))]
        try:
            aws_clients.client("dynamodb", retries=2).update_item(
                TableName=get_config().require(self.setting),
                Key=self.key(key),
                UpdateExpression="ADD "
                + ", ".join(f"#c{i} :one" for i in range(len(windows)))
                + " SET #ttl = :ttl",
                ConditionExpression=" AND ".join(below),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return None
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code")
            if code == "ConditionalCheckFailedException":
                item = err.response.get("Item") or {}
                return {name: int(value["N"]) for name, value in item.items() if "N" in value}
            if code in _BUSY:  # this one key is hot: one member's (or connection's) own doing
                return {}
            raise
