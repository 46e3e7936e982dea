"""Create a template's resources on moto, the way CloudFormation would on AWS.

:func:`provision` walks ``template.yaml`` in dependency order and creates each supported resource with
boto3: DynamoDB tables, SQS queues, EventBridge buses and rules, the Cognito user pool with its
client and groups, S3 buckets, KMS keys, SNS topics and SES identities. SAM functions are not "created" (they run
in-process, see :mod:`local.lambdas`): each becomes a :class:`FunctionSpec`, with its environment
and event sources resolved, for the gateway and the pumps to drive. Everything else (log groups,
layers, APIs) is recorded so that references to it still resolve.

The boto3 clients use ``endpoint_url`` when given (the moto server of ``make run``); without one
they go wherever boto3 would, which inside ``moto.mock_aws()`` is the in-process mock: the tests
build moto from the real template that way.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local.template import Stack, UnresolvedReference, load_template

__all__ = ["FunctionSpec", "HttpApiSpec", "LocalStack", "provision"]

log = logging.getLogger("local.provision")


@dataclass
class FunctionSpec:
    """A SAM function as the local runtime needs it: where its code is and how it is configured."""

    logical_id: str
    function_name: str
    code_uri: Path
    handler: str
    environment: dict[str, str]
    timeout: int = 3
    memory: int = 128
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    layers: list[Path] = field(default_factory=list)
    arn: str = ""

    def events_of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        """This function's event sources of the given SAM types (e.g. "HttpApi", "SQS")."""
        return {name: event for name, event in self.events.items() if event.get("Type") in types}


@dataclass
class HttpApiSpec:
    """An ``AWS::Serverless::HttpApi`` (or SAM's implicit one), with its properties resolved."""

    logical_id: str
    api_id: str
    properties: dict[str, Any]

    @property
    def auth(self) -> dict[str, Any]:
        return self.properties.get("Auth") or {}

    @property
    def cors(self) -> dict[str, Any] | None:
        """The CorsConfiguration as a dict (SAM's ``CorsConfiguration: true`` means allow any origin)."""
        cors = self.properties.get("CorsConfiguration")
        if cors is True:
            return {"AllowOrigins": ["*"], "AllowMethods": ["*"], "AllowHeaders": ["*"]}
        return cors or None


@dataclass
class LocalStack:
    """The result of provisioning: what a deployed stack's console would tell you."""

    stack: Stack
    region: str
    endpoint_url: str | None
    functions: dict[str, FunctionSpec]
    http_apis: dict[str, HttpApiSpec]
    outputs: dict[str, str]
    skipped: dict[str, str]
    template_path: Path

    def physical_id(self, logical_id: str) -> str:
        """What ``Ref`` returns for the resource (table name, queue URL, pool id, function name ...)."""
        return self.stack.physical_ids[logical_id]

    def attribute(self, logical_id: str, name: str) -> Any:
        """What ``Fn::GetAtt`` returns for the resource."""
        return self.stack.get_att(logical_id, name)

    def client(self, service: str) -> Any:
        """A boto3 client for this stack's region and endpoint."""
        return _client(service, self.region, self.endpoint_url)


def _client(service: str, region: str, endpoint_url: str | None) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint_url)


_IMPLICIT_HTTP_API = "ServerlessHttpApi"


def provision(
    template_path: str | Path = "template.yaml",
    *,
    stack_name: str = "backchannel-local",
    region: str = "us-east-1",
    endpoint_url: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> LocalStack:
    """Create the template's resources and return the resulting :class:`LocalStack`."""
    template_path = Path(template_path).resolve()
    template = load_template(template_path)
    stack = Stack(template, stack_name=stack_name, region=region, parameters=parameters)
    stack.check_rules()
    provisioner = _Provisioner(stack, template_path.parent, region, endpoint_url)
    provisioner.run()
    outputs = _outputs(stack)
    return LocalStack(
        stack=stack,
        region=region,
        endpoint_url=endpoint_url,
        functions=provisioner.functions,
        http_apis=provisioner.http_apis,
        outputs=outputs,
        skipped=provisioner.skipped,
        template_path=template_path,
    )


def _outputs(stack: Stack) -> dict[str, str]:
    outputs: dict[str, str] = {}
    for name, output in (stack.template.get("Outputs") or {}).items():
        if "Condition" in output and not stack.condition(output["Condition"]):
            continue
        try:
            value = stack.resolve(output["Value"])
        except UnresolvedReference as exc:
            log.warning("output %s not available locally: %s", name, exc)
            continue
        outputs[name] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return outputs


def _pick(props: dict[str, Any], *names: str) -> dict[str, Any]:
    """The named properties that are present (CloudFormation and the API often share names)."""
    return {name: props[name] for name in names if name in props}


class _Provisioner:
    """Creates one stack's resources, in dependency order, filling the stack's ids and attributes."""

    def __init__(self, stack: Stack, base_dir: Path, region: str, endpoint_url: str | None) -> None:
        self.stack = stack
        self.base_dir = base_dir
        self.region = region
        self.endpoint_url = endpoint_url
        self.account = stack.account_id
        self.functions: dict[str, FunctionSpec] = {}
        self.http_apis: dict[str, HttpApiSpec] = {}
        self.skipped: dict[str, str] = {}
        self._clients: dict[str, Any] = {}
        self._layer_paths: dict[str, Path] = {}
        self._creators: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::DynamoDB::Table": self._dynamodb_table,
            "AWS::SQS::Queue": self._sqs_queue,
            "AWS::Events::EventBus": self._event_bus,
            "AWS::Events::Rule": self._event_rule,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::Cognito::UserPoolGroup": self._user_pool_group,
            "AWS::S3::Bucket": self._s3_bucket,
            "AWS::KMS::Key": self._kms_key,
            "AWS::SNS::Topic": self._sns_topic,
            "AWS::SES::EmailIdentity": self._email_identity,
            "AWS::Scheduler::ScheduleGroup": self._schedule_group,
            "AWS::Serverless::Function": self._function,
            "AWS::Serverless::LayerVersion": self._layer,
            "AWS::Serverless::HttpApi": self._http_api,
        }

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = _client(service, self.region, self.endpoint_url)
        return self._clients[service]

    def default_name(self, logical_id: str) -> str:
        """A deterministic, readable physical name for a resource the template leaves unnamed."""
        return f"{self.stack.stack_name}-{logical_id}"

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:aws:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"
        )

    def run(self) -> None:
        stack = self.stack
        for logical_id in stack.creation_order():
            resource = stack.resources[logical_id]
            if not stack.resource_enabled(logical_id):
                self.skipped[logical_id] = "condition is false"
                continue
            kind = resource.get("Type", "")
            creator = self._creators.get(kind)
            if creator is None:
                self._record_only(logical_id, resource)
                continue
            props = stack.resolve(resource.get("Properties") or {})
            creator(logical_id, props)
        self._implicit_http_api()

    def _set(self, logical_id: str, physical_id: str, **attributes: Any) -> None:
        self.stack.physical_ids[logical_id] = physical_id
        self.stack.attributes[logical_id] = attributes

    # ----------------------------------------------------------------------------------------
    # Resources recorded but not created (log groups, APIs, IAM ...)
    # ----------------------------------------------------------------------------------------
    def _record_only(self, logical_id: str, resource: dict[str, Any]) -> None:
        """Give the resource a physical id and an Arn so that references to it still resolve."""
        kind = resource.get("Type", "")
        try:
            props = self.stack.resolve(resource.get("Properties") or {})
        except UnresolvedReference:
            props = {}
        name = next(
            (v for k, v in props.items() if k.endswith("Name") and isinstance(v, str)),
            self.default_name(logical_id),
        )
        service = kind.split("::")[1].lower() if kind.count("::") >= 2 else "local"
        attributes: dict[str, Any] = {}
        if kind == "AWS::Logs::LogGroup":
            arn = self.arn("logs", f"log-group:{name}:*")
        else:
            arn = self.arn(service, name)
        if kind == "AWS::CloudFront::Distribution":
            # no CloudFront here (the gateway serves the page, same origin): a name that resolves nowhere
            attributes["DomainName"] = f"{logical_id.lower()}.cloudfront.invalid"
        self._set(logical_id, name, Arn=arn, **attributes)
        self.skipped[logical_id] = f"{kind} is not created locally"

    # ----------------------------------------------------------------------------------------
    # DynamoDB
    # ----------------------------------------------------------------------------------------
    def _dynamodb_table(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("TableName") or self.default_name(logical_id)
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        provisioned = request["BillingMode"] == "PROVISIONED"
        if provisioned:
            request["ProvisionedThroughput"] = props.get(
                "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
            )
        index_keys = ("IndexName", "KeySchema", "Projection")
        if props.get("GlobalSecondaryIndexes"):
            gsis = []
            for gsi in props["GlobalSecondaryIndexes"]:
                index = _pick(gsi, *index_keys, "ProvisionedThroughput")
                if provisioned and "ProvisionedThroughput" not in index:
                    index["ProvisionedThroughput"] = request["ProvisionedThroughput"]
                gsis.append(index)
            request["GlobalSecondaryIndexes"] = gsis
        if props.get("LocalSecondaryIndexes"):
            request["LocalSecondaryIndexes"] = [_pick(i, *index_keys) for i in props["LocalSecondaryIndexes"]]
        stream = props.get("StreamSpecification")
        if stream:
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        sse = props.get("SSESpecification")
        if sse:
            request["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled", False))}
            request["SSESpecification"].update(_pick(sse, "SSEType", "KMSMasterKeyId"))
        if props.get("Tags"):
            request["Tags"] = props["Tags"]
        ddb = self.client("dynamodb")
        description = ddb.create_table(**request)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        attrs = {"Arn": description["TableArn"]}
        if "LatestStreamArn" in description:
            attrs["StreamArn"] = description["LatestStreamArn"]
        self._set(logical_id, name, **attrs)

    # ----------------------------------------------------------------------------------------
    # SQS
    # ----------------------------------------------------------------------------------------
    _SQS_ATTRIBUTES = (
        "DelaySeconds",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "VisibilityTimeout",
        "FifoQueue",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "FifoThroughputLimit",
        "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds",
        "SqsManagedSseEnabled",
    )

    def _sqs_queue(self, logical_id: str, props: dict[str, Any]) -> None:
        fifo = str(props.get("FifoQueue", "false")).lower() == "true"
        name = props.get("QueueName") or self.default_name(logical_id) + (".fifo" if fifo else "")
        attributes = {key: _attr_text(props[key]) for key in self._SQS_ATTRIBUTES if key in props}
        for key in ("RedrivePolicy", "RedriveAllowPolicy"):
            if key in props:
                value = props[key]
                attributes[key] = value if isinstance(value, str) else json.dumps(value)
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self._set(logical_id, url, Arn=self.arn("sqs", name), QueueName=name, QueueUrl=url)

    # ----------------------------------------------------------------------------------------
    # EventBridge
    # ----------------------------------------------------------------------------------------
    def _event_bus(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("Name") or self.default_name(logical_id)
        arn = self.client("events").create_event_bus(Name=name)["EventBusArn"]
        self._set(logical_id, name, Arn=arn, Name=name)

    def _event_rule(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("Name") or self.default_name(logical_id)
        request: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED")}
        request.update(_pick(props, "Description", "ScheduleExpression", "RoleArn"))
        bus = props.get("EventBusName")
        if bus:
            request["EventBusName"] = bus.rsplit("/", 1)[-1] if bus.startswith("arn:") else bus
        if "EventPattern" in props:
            pattern = props["EventPattern"]
            request["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        events = self.client("events")
        arn = events.put_rule(**request)["RuleArn"]
        targets = [
            _pick(
                t,
                "Id",
                "Arn",
                "RoleArn",
                "Input",
                "InputPath",
                "InputTransformer",
                "SqsParameters",
                "DeadLetterConfig",
                "RetryPolicy",
            )
            for t in props.get("Targets", [])
        ]
        if targets:
            kwargs = {"EventBusName": request["EventBusName"]} if "EventBusName" in request else {}
            events.put_targets(Rule=name, Targets=targets, **kwargs)
        self._set(logical_id, name, Arn=arn)

    # ----------------------------------------------------------------------------------------
    # Cognito
    # ----------------------------------------------------------------------------------------
    def _user_pool(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("UserPoolName") or self.default_name(logical_id)
        request = _pick(
            props,
            "Policies",
            "AutoVerifiedAttributes",
            "AliasAttributes",
            "UsernameAttributes",
            "UsernameConfiguration",
            "Schema",
            "AccountRecoverySetting",
            "MfaConfiguration",
            "AdminCreateUserConfig",
            "DeletionProtection",
            "UserAttributeUpdateSettings",
            "VerificationMessageTemplate",
        )
        if "UserPoolTags" in props:
            request["UserPoolTags"] = props["UserPoolTags"]
        pool = self.client("cognito-idp").create_user_pool(PoolName=name, **request)["UserPool"]
        pool_id = pool["Id"]
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool_id}"
        self._set(
            logical_id,
            pool_id,
            Arn=pool.get("Arn", self.arn("cognito-idp", f"userpool/{pool_id}")),
            ProviderName=provider,
            ProviderURL=f"https://{provider}",
            UserPoolId=pool_id,
        )

    def _user_pool_client(self, logical_id: str, props: dict[str, Any]) -> None:
        request = _pick(
            props,
            "GenerateSecret",
            "ExplicitAuthFlows",
            "RefreshTokenValidity",
            "AccessTokenValidity",
            "IdTokenValidity",
            "TokenValidityUnits",
            "PreventUserExistenceErrors",
            "ReadAttributes",
            "WriteAttributes",
            "CallbackURLs",
            "LogoutURLs",
            "DefaultRedirectURI",
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "AllowedOAuthFlowsUserPoolClient",
            "SupportedIdentityProviders",
            "EnableTokenRevocation",
            "AuthSessionValidity",
        )
        name = props.get("ClientName") or self.default_name(logical_id)
        client = self.client("cognito-idp").create_user_pool_client(
            UserPoolId=props["UserPoolId"], ClientName=name, **request
        )["UserPoolClient"]
        attrs = {"ClientId": client["ClientId"], "Name": name}
        if "ClientSecret" in client:
            attrs["ClientSecret"] = client["ClientSecret"]
        self._set(logical_id, client["ClientId"], **attrs)

    def _user_pool_group(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("GroupName") or self.default_name(logical_id)
        request = _pick(props, "Description", "Precedence", "RoleArn")
        self.client("cognito-idp").create_group(GroupName=name, UserPoolId=props["UserPoolId"], **request)
        self._set(logical_id, name)

    # ----------------------------------------------------------------------------------------
    # S3, KMS, SNS, SES
    # ----------------------------------------------------------------------------------------
    def _s3_bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("BucketName") or self.default_name(logical_id).lower()
        s3 = self.client("s3")
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        if props.get("VersioningConfiguration"):
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
        if props.get("CorsConfiguration"):
            s3.put_bucket_cors(
                Bucket=name,
                CORSConfiguration={
                    "CORSRules": [_s3_cors_rule(r) for r in props["CorsConfiguration"]["CorsRules"]]
                },
            )
        self._set(
            logical_id,
            name,
            Arn=f"arn:aws:s3:::{name}",
            DomainName=f"{name}.s3.amazonaws.com",
            RegionalDomainName=f"{name}.s3.{self.region}.amazonaws.com",
            WebsiteURL=f"http://{name}.s3-website-{self.region}.amazonaws.com",
        )

    def _kms_key(self, logical_id: str, props: dict[str, Any]) -> None:
        request = _pick(props, "Description", "KeyUsage", "KeySpec")
        metadata = self.client("kms").create_key(**request)["KeyMetadata"]
        self._set(logical_id, metadata["KeyId"], Arn=metadata["Arn"], KeyId=metadata["KeyId"])

    def _sns_topic(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("TopicName") or self.default_name(logical_id)
        attributes = {
            k: _attr_text(props[k]) for k in ("FifoTopic", "ContentBasedDeduplication") if k in props
        }
        arn = self.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
        self._set(logical_id, arn, TopicArn=arn, TopicName=name)

    def _email_identity(self, logical_id: str, props: dict[str, Any]) -> None:
        """An address or domain SES may send from (moto accepts it at once: no DNS, no mail to click)."""
        identity = props["EmailIdentity"]
        # one call for both: SES v1 and v2 share their identities, in AWS as in moto
        self.client("sesv2").create_email_identity(EmailIdentity=identity)
        self._set(logical_id, identity)

    def _schedule_group(self, logical_id: str, props: dict[str, Any]) -> None:
        """EventBridge Scheduler's group: the packs worker creates one-time schedules in it."""
        name = props.get("Name") or self.default_name(logical_id)
        arn = self.client("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"]
        self._set(logical_id, name, Arn=arn)

    # ----------------------------------------------------------------------------------------
    # SAM: layers, HTTP APIs, functions
    # ----------------------------------------------------------------------------------------
    def _layer(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("LayerName") or self.default_name(logical_id)
        content = props.get("ContentUri")
        arn = self.arn("lambda", f"layer:{name}:1")
        if isinstance(content, str):
            self._layer_paths[arn] = (self.base_dir / content).resolve()
        self._set(logical_id, arn, Arn=arn)

    def _http_api(self, logical_id: str, props: dict[str, Any]) -> None:
        api_id = _api_id(self.stack.stack_name, logical_id)
        self.http_apis[logical_id] = HttpApiSpec(logical_id, api_id, props)
        self._set(logical_id, api_id, ApiEndpoint=f"https://{api_id}.execute-api.{self.region}.amazonaws.com")

    def _implicit_http_api(self) -> None:
        """SAM creates ``ServerlessHttpApi`` when an HttpApi event names no ApiId."""
        uses_implicit = any(
            event.get("Type") == "HttpApi" and "ApiId" not in (event.get("Properties") or {})
            for spec in self.functions.values()
            for event in spec.events.values()
        )
        if uses_implicit and _IMPLICIT_HTTP_API not in self.http_apis:
            globals_ = (self.stack.template.get("Globals") or {}).get("HttpApi") or {}
            self._http_api(_IMPLICIT_HTTP_API, self.stack.resolve(copy.deepcopy(globals_)))

    def _function(self, logical_id: str, props: dict[str, Any]) -> None:
        globals_ = self.stack.resolve((self.stack.template.get("Globals") or {}).get("Function") or {})
        merged = merge_function_globals(globals_, props)
        name = merged.get("FunctionName") or self.default_name(logical_id)
        code_uri = merged.get("CodeUri")
        if not isinstance(code_uri, str):
            raise ValueError(f"{logical_id}: only a local CodeUri folder can run locally, got {code_uri!r}")
        variables = ((merged.get("Environment") or {}).get("Variables")) or {}
        arn = self.arn("lambda", f"function:{name}")
        layers = []
        for layer in merged.get("Layers", []):
            path = self._layer_paths.get(layer)
            if path is None:
                log.warning("%s: layer %s is not a local layer of this template; skipped", logical_id, layer)
            else:
                layers.append(path)
        spec = FunctionSpec(
            logical_id=logical_id,
            function_name=name,
            code_uri=(self.base_dir / code_uri).resolve(),
            handler=merged.get("Handler", "app.lambda_handler"),
            environment={k: _attr_text(v) for k, v in variables.items()},
            timeout=int(merged.get("Timeout", 3)),
            memory=int(merged.get("MemorySize", 128)),
            events=merged.get("Events") or {},
            layers=layers,
            arn=arn,
        )
        self.functions[logical_id] = spec
        self._set(logical_id, name, Arn=arn)


def merge_function_globals(globals_: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge (function wins), lists concatenate, scalars are overridden."""
    merged = copy.deepcopy(globals_)
    for key, value in props.items():
        if key == "Environment":
            variables = dict((merged.get("Environment") or {}).get("Variables") or {})
            variables.update((value or {}).get("Variables") or {})
            merged["Environment"] = {"Variables": variables}
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + value
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _api_id(stack_name: str, logical_id: str) -> str:
    """A stable 10-character API id, shaped like API Gateway's."""
    digest = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).hexdigest()
    return digest[:10]


def _attr_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _s3_cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's CorsRule names differ from the S3 API's."""
    renames = {
        "AllowedHeaders": "AllowedHeaders",
        "AllowedMethods": "AllowedMethods",
        "AllowedOrigins": "AllowedOrigins",
        "ExposedHeaders": "ExposeHeaders",
        "MaxAge": "MaxAgeSeconds",
        "Id": "ID",
    }
    return {renames[k]: v for k, v in rule.items() if k in renames}
