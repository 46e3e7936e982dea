"""The template transforms with aws-sam-translator offline, and the result is what we mean to deploy."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from backchannel_openapi.routes import api_routes

# What `sam package` would do to local code folders, so the translator accepts them.
CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}
# Managed policies SAM attaches by itself (execution role, tracing, event-source polling).
SAM_MANAGED = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "AWSXRayDaemonWriteAccess": "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
    "AWSLambdaSQSQueueExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaDynamoDBExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
}
WILDCARD_OK = ("logs:", "xray:")


class _ManagedPolicies:
    """The translator's managed-policy loader, offline: policy names to their AWS ARNs."""

    def load(self) -> dict[str, str]:
        return dict(SAM_MANAGED)


def packaged(template: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(template)
    for name, resource in out["Resources"].items():
        prop = CODE_PROPERTIES.get(resource.get("Type", ""))
        props = resource.get("Properties") or {}
        if prop and isinstance(props.get(prop), str):
            props[prop] = f"s3://backchannel-artifacts/{name}.zip"
    return out


@pytest.fixture(scope="module")
def transformed(template, monkeypatch_module):
    from samtranslator.translator.transform import transform

    monkeypatch_module.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch_module.setenv("AWS_REGION", "eu-west-1")
    return transform(packaged(template), {}, _ManagedPolicies())


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def resources_of(doc: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in doc["Resources"].items() if v["Type"] == kind}


def test_the_transform_yields_plain_cloudformation(transformed):
    kinds = {r["Type"] for r in transformed["Resources"].values()}
    assert not [k for k in kinds if k.startswith("AWS::Serverless::")], kinds
    assert "AWS::Lambda::Function" in kinds
    assert "AWS::Lambda::LayerVersion" in kinds


def test_the_http_api_has_the_jwt_authorizer_on_every_protected_route(template, transformed):
    apis = resources_of(transformed, "AWS::ApiGatewayV2::Api")
    assert apis, "no AWS::ApiGatewayV2::Api after the transform"
    bodies = [api["Properties"]["Body"] for api in apis.values() if "Body" in api["Properties"]]
    schemes = {
        n: s for body in bodies for n, s in body.get("components", {}).get("securitySchemes", {}).items()
    }
    jwt = {n for n, s in schemes.items() if s.get("x-amazon-apigateway-authorizer", {}).get("type") == "jwt"}
    assert jwt, f"no JWT authorizer among {sorted(schemes)}"
    for name in jwt:
        config = schemes[name]["x-amazon-apigateway-authorizer"]
        assert config["identitySource"] == "$request.header.Authorization"
        assert config["jwtConfiguration"]["issuer"] and config["jwtConfiguration"]["audience"]

    operations = {
        (method.upper(), path): op
        for body in bodies
        for path, item in body.get("paths", {}).items()
        for method, op in item.items()
    }
    for route in api_routes(template):
        op = operations.get(route.key)
        assert op is not None, f"{route.method} {route.path} is not in the transformed HTTP API"
        names = {n for req in op.get("security", []) for n in req}
        if route.public:
            assert not names & jwt, f"{route.method} {route.path} should be public"
        else:
            assert names & jwt, f"{route.method} {route.path} is not behind the JWT authorizer"


def _statements(role: dict[str, Any]):
    for policy in role["Properties"].get("Policies", []):
        statements = policy["PolicyDocument"]["Statement"]
        yield from statements if isinstance(statements, list) else [statements]


def test_no_role_grants_everything(transformed):
    roles = resources_of(transformed, "AWS::IAM::Role")
    assert roles
    for name, role in roles.items():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            assert arn in SAM_MANAGED.values(), (
                f"{name} attaches managed policy {arn}: scope a policy instead"
            )
        for statement in _statements(role):
            if statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            resources = statement.get("Resource", [])
            resources = [resources] if not isinstance(resources, list) else resources
            assert not [a for a in actions if a == "*" or str(a).endswith(":*")], f"{name}: {actions}"
            if "*" in resources:
                wide = [a for a in actions if not str(a).startswith(WILDCARD_OK)]
                assert not wide, f'{name} allows {wide} on "Resource": "*"'


def test_functions_name_no_managed_policies_of_their_own(template, sam_functions):
    for fn in sam_functions:
        for policy in fn.properties.get("Policies") or []:
            assert not isinstance(policy, str) or policy in SAM_MANAGED, (
                f"{fn.logical_id} uses managed policy {policy}: use a SAM policy template or a statement"
            )
