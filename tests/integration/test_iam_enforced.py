"""The tests hold each function to its DynamoDB grants in template.yaml (tests/support/iam.py): a call
beyond them is refused as AWS would refuse it, whoever made the client."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from local.lambdas import running
from tests.support import iam


def test_a_call_beyond_a_functions_grants_is_refused_as_on_aws(aws, monkeypatch):
    client = boto3.client("dynamodb", region_name="us-east-1")
    data, key = aws.physical_id("DataTable"), {"pk": {"S": "EVENT#x"}, "sk": {"S": "EVENT"}}
    client.put_item(TableName=data, Item=key)  # the test's own call: no function is running
    monkeypatch.setattr(running, "function", "FeedsApiFunction", raising=False)  # as while it runs
    assert client.get_item(TableName=data, Key=key)["Item"] == key  # granted
    refused = [
        lambda: client.put_item(TableName=data, Item=key),
        lambda: client.scan(TableName=data),
        lambda: client.transact_write_items(TransactItems=[{"Delete": {"TableName": data, "Key": key}}]),
    ]
    for call in refused:
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    assert iam.refusals == [
        "FeedsApiFunction may not dynamodb:PutItem on DataTable (template.yaml grants it no such action)",
        "FeedsApiFunction may not dynamodb:Scan on DataTable (template.yaml grants it no such action)",
        "FeedsApiFunction may not dynamodb:DeleteItem on DataTable (template.yaml grants it no such action)",
    ]
    iam.refusals.clear()  # refused on purpose here
    monkeypatch.setattr(running, "function", None)
    assert client.get_item(TableName=data, Key=key)["Item"] == key  # the item was never touched
