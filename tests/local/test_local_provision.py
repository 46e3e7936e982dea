"""Provisioning a template's resources on moto (local.provision), inside moto.mock_aws()."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from local.provision import provision


@pytest.fixture
def stack(fixture_template):
    with mock_aws():
        yield provision(fixture_template, stack_name="t")


def test_tables_are_created_with_keys_indexes_streams_and_ttl(stack):
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    table = ddb.describe_table(TableName="t-Items")["Table"]

    assert stack.physical_id("Items") == "t-Items"
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert stack.attribute("Items", "StreamArn") == table["LatestStreamArn"]
    ttl = ddb.describe_time_to_live(TableName="t-Items")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}

    named = ddb.describe_table(TableName="t-named-dev")["Table"]  # TableName from !Join
    assert named["ProvisionedThroughput"]["WriteCapacityUnits"] == 3


def test_queues_get_their_attributes_redrive_and_fifo(stack):
    sqs = boto3.client("sqs", region_name="us-east-1")
    work = sqs.get_queue_attributes(QueueUrl=stack.physical_id("WorkQueue"), AttributeNames=["All"])[
        "Attributes"
    ]

    assert work["VisibilityTimeout"] == "30"
    redrive = json.loads(work["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == stack.attribute("WorkDlq", "Arn")
    assert int(redrive["maxReceiveCount"]) == 3
    fifo = stack.attribute("OrderedQueue", "QueueName")
    assert fifo == "t-OrderedQueue.fifo"
    attrs = sqs.get_queue_attributes(QueueUrl=stack.physical_id("OrderedQueue"), AttributeNames=["All"])
    assert attrs["Attributes"]["FifoQueue"] == "true"


def test_bus_and_rule_route_to_the_queue(stack):
    events = boto3.client("events", region_name="us-east-1")
    rule = events.describe_rule(Name="t-ToWork", EventBusName="t-bus")

    assert json.loads(rule["EventPattern"])["source"] == ["test.local"]
    targets = events.list_targets_by_rule(Rule="t-ToWork", EventBusName="t-bus")["Targets"]
    assert targets == [{"Id": "work", "Arn": stack.attribute("WorkQueue", "Arn")}]


def test_user_pool_client_and_group(stack):
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool_id = stack.physical_id("Pool")

    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"] == "t-pool"
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=stack.physical_id("PoolClient"))
    assert "ALLOW_USER_PASSWORD_AUTH" in client["UserPoolClient"]["ExplicitAuthFlows"]
    assert cognito.get_group(GroupName="organisers", UserPoolId=pool_id)["Group"]["GroupName"] == "organisers"


def test_conditional_and_unsupported_resources_are_skipped_but_resolvable(stack):
    s3 = boto3.client("s3", region_name="us-east-1")

    assert s3.list_buckets()["Buckets"] == []  # ProdOnlyBucket's condition is false
    assert "ProdOnlyBucket" in stack.skipped
    assert stack.physical_id("Logs") == "/aws/lambda/t-EchoFunction"
    assert "ProdBucket" not in stack.outputs


def test_function_specs_merge_globals_and_resolve_their_environment(stack, fixture_template):
    echo, env = stack.functions["EchoFunction"], stack.functions["EnvFunction"]

    assert echo.function_name == "t-EchoFunction"
    assert echo.code_uri == fixture_template.parent / "functions" / "local_echo"
    assert echo.handler == "app.lambda_handler"
    assert (echo.timeout, echo.memory, env.timeout) == (5, 256, 7)
    assert echo.environment["SHARED_SETTING"] == "from-globals"
    assert echo.environment["OVERRIDDEN"] == "from-echo"
    assert echo.environment["DATA_TABLE_NAME"] == "t-Items"
    assert echo.environment["QUEUE_URL"] == stack.physical_id("WorkQueue")
    assert env.environment["OVERRIDDEN"] == "from-globals"
    assert env.environment["ONLY_IN_ENV"] == "not-prod"
    assert env.events["Work"]["Properties"] == {"Queue": stack.attribute("WorkQueue", "Arn"), "BatchSize": 5}
    api_id = stack.physical_id("Api")
    assert echo.events["Public"]["Properties"] == {
        "ApiId": api_id,
        "Method": "GET",
        "Path": "/public/{id}",
        "Auth": {"Authorizer": "NONE"},
    }
    issuer = stack.http_apis["Api"].auth["Authorizers"]["Jwt"]["JwtConfiguration"]["issuer"]
    assert issuer == f"https://cognito-idp.us-east-1.amazonaws.com/{stack.physical_id('Pool')}"


def test_outputs_are_resolved(stack):
    outputs = stack.outputs

    assert outputs["ItemsTable"] == "t-Items"
    assert outputs["EchoName"] == "t-EchoFunction"
    assert outputs["Flavour"] == "development"
    assert outputs["Region"] == "us-east-1"
    assert outputs["ApiUrl"] == f"https://{stack.physical_id('Api')}.execute-api.us-east-1.amazonaws.com"
    assert outputs["ItemsStreamArn"].startswith(
        "arn:aws:dynamodb:us-east-1:123456789012:table/t-Items/stream/"
    )


def test_parameters_can_be_overridden(fixture_template):
    with mock_aws():
        prod = provision(fixture_template, stack_name="p", parameters={"Stage": "prod"})
        assert prod.outputs["Flavour"] == "production"
        assert prod.outputs["ProdBucket"] == "p-prodonlybucket"
        assert (
            boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"][0]["Name"]
            == "p-prodonlybucket"
        )


def test_the_real_template_provisions():
    with mock_aws():
        stack = provision("template.yaml")
        tables = boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    assert stack.outputs["DataTableName"] in tables
    assert stack.functions  # every SAM function becomes a spec


_MAIL_TEMPLATE = """
Parameters:
  MailFromAddress:
    Type: String
    Default: packs@example.com
Resources:
  MailIdentity:
    Type: AWS::SES::EmailIdentity
    Properties:
      EmailIdentity: !Ref MailFromAddress
  DomainIdentity:
    Type: AWS::SES::EmailIdentity
    Properties:
      EmailIdentity: mail.example.org
Outputs:
  Sender:
    Value: !Ref MailIdentity
"""


def test_ses_identities_let_their_addresses_and_domains_send(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(_MAIL_TEMPLATE)

    def send(sesv2, sender):
        return sesv2.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": ["alice@example.org"]},
            Content={"Simple": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hello"}}}},
        )

    with mock_aws():
        stack = provision(template, stack_name="m")
        sesv2 = boto3.client("sesv2", region_name="us-east-1")

        assert stack.physical_id("MailIdentity") == stack.outputs["Sender"] == "packs@example.com"
        assert sesv2.get_email_identity(EmailIdentity="packs@example.com")["IdentityType"] == "EMAIL_ADDRESS"
        assert send(sesv2, "packs@example.com")["MessageId"]
        assert send(sesv2, "news@mail.example.org")["MessageId"]
        ses = boto3.client("ses", region_name="us-east-1")  # SES v1 shares the identities
        assert ses.send_email(
            Source="packs@example.com",
            Destination={"ToAddresses": ["alice@example.org"]},
            Message={"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hello"}}},
        )["MessageId"]
        with pytest.raises(sesv2.exceptions.MessageRejected):
            send(sesv2, "someone@elsewhere.example")
