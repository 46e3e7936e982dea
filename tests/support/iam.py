"""IAM for DynamoDB, enforced in the tests: a function may call only the actions that template.yaml
grants it, on the tables it names, as AWS would enforce them.

A missing permission would otherwise show only once deployed: moto authorises nothing. So every
DynamoDB call made while a function's handler runs (``local.lambdas.running``, which the local runtime
and ``tests.support.api`` set for the invoking thread) is checked against
that function's grants, read from the template's inline statements, and refused with the error AWS
gives (``AccessDeniedException``). The refusal is also recorded, so the test fails with a clear message
even where the code turns the error into a 500 or a retry. Calls made by the tests themselves (setting
up or reading tables) carry no function's name and pass.

IAM authorises a transaction by the actions of its items (``PutItem``, ``UpdateItem``,
``DeleteItem``, ``ConditionCheckItem``) and a batch by ``BatchGetItem`` / ``BatchWriteItem`` on each
table it names; there is no ``TransactWriteItems`` action to grant.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local.lambdas import running

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
_IN_TRANSACTION = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}

refusals: list[str] = []


def _table_of(resource: Any) -> str | None:
    """The table logical id of ``!GetAtt T.Arn`` or ``!Sub "${T.Arn}/index/*"``."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        target = resource["Fn::GetAtt"]
        logical, _, attribute = (
            target.partition(".") if isinstance(target, str) else (target[0], ".", target[1])
        )
        return logical if attribute == "Arn" else None
    if isinstance(resource, dict) and isinstance(resource.get("Fn::Sub"), str):
        text = resource["Fn::Sub"]
        if text.startswith("${") and text.split("}", 1)[0].endswith(".Arn"):
            return text[2:].split(".", 1)[0]
    return None


def dynamodb_grants(template: dict[str, Any]) -> dict[str, dict[str, set[str]]]:
    """function logical id -> table logical id -> the ``dynamodb:`` actions its statements allow."""
    tables = {k for k, r in template["Resources"].items() if r.get("Type") == "AWS::DynamoDB::Table"}
    found: dict[str, dict[str, set[str]]] = {}
    for logical, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        grants = found.setdefault(logical, {})
        for policy in (resource.get("Properties") or {}).get("Policies") or []:
            if not isinstance(policy, dict):
                continue
            for statement in policy.get("Statement") or []:
                actions = statement.get("Action")
                actions = [actions] if isinstance(actions, str) else actions or []
                resources = statement.get("Resource")
                resources = resources if isinstance(resources, list) else [resources]
                for table in {_table_of(r) for r in resources} & tables:
                    grants.setdefault(table, set()).update(
                        a.split(":", 1)[1] for a in actions if a.startswith("dynamodb:")
                    )
    return found


def needed(operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(table name, action) pairs IAM checks for one call."""
    if operation in ("TransactWriteItems", "TransactGetItems"):
        for item in params.get("TransactItems") or []:
            for kind, body in item.items():
                yield body.get("TableName", ""), _IN_TRANSACTION.get(kind, kind)
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        for table in params.get("RequestItems") or {}:
            yield table, operation
    else:
        yield params.get("TableName", ""), operation


@functools.cache
def _grants() -> tuple[dict[str, dict[str, set[str]]], frozenset[str]]:
    from local.template import load_template

    template = load_template(TEMPLATE)
    tables = frozenset(k for k, r in template["Resources"].items() if r.get("Type") == "AWS::DynamoDB::Table")
    return dynamodb_grants(template), tables


def _check(params: dict[str, Any], model: Any, **_: Any) -> None:
    function = getattr(running, "function", None)
    if function is None:
        return  # the test's own call
    grants, tables = _grants()
    for name, action in needed(model.name, params):
        table = next((t for t in tables if name == t or name.endswith(f"-{t}")), None)
        if table is None or action in grants.get(function, {}).get(table, set()):
            continue
        message = f"{function} may not dynamodb:{action} on {table} (template.yaml grants it no such action)"
        refusals.append(message)
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": message}}, model.name)


def enforce() -> None:
    """Check every DynamoDB client made from now on (whoever makes it: PynamoDB, boto3, Powertools)."""
    import botocore.session

    create = botocore.session.Session.create_client
    if getattr(create, "_iam_enforced", False):
        return

    @functools.wraps(create)
    def create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = create(self, service_name, *args, **kwargs)
        if service_name == "dynamodb":
            client.meta.events.register("before-parameter-build.dynamodb", _check)
        return client

    create_client._iam_enforced = True  # type: ignore[attr-defined]
    botocore.session.Session.create_client = create_client
