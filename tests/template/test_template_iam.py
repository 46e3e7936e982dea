"""Each function's DynamoDB grants are exactly the actions its code calls, on the tables it uses: no
``Scan``, no ``BatchWriteItem`` and no write for a function that does not need them, no SAM policy
template that grants a table's every action. ``tests/support/iam.py`` enforces these grants whenever
a test runs a function, so an action missing here fails a test rather than a deployment."""

from __future__ import annotations

from tests.support.iam import dynamodb_grants

READ = {"BatchGetItem", "GetItem", "Query"}
WRITE = READ | {"PutItem", "UpdateItem", "DeleteItem"}
IDEMPOTENCY = {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}  # Powertools' persistence layer

# What each function's code reaches (its packages' dynamo modules; transactions count by their items).
EXPECTED = {
    "EventsApiFunction": {"DataTable": WRITE, "IdempotencyTable": IDEMPOTENCY},
    "ScheduleImportWorkerFunction": {"DataTable": WRITE},
    "MembersApiFunction": {"DataTable": WRITE, "IdempotencyTable": IDEMPOTENCY},
    "CaptureApiFunction": {"DataTable": WRITE, "IdempotencyTable": IDEMPOTENCY},
    "QuestionsApiFunction": {"DataTable": WRITE, "IdempotencyTable": IDEMPOTENCY},
    "ModerationApiFunction": {"DataTable": WRITE, "IdempotencyTable": IDEMPOTENCY},
    "ResourcesApiFunction": {"DataTable": READ},
    "ResourcesWorkerFunction": {"DataTable": WRITE},
    "CollectApiFunction": {"DataTable": WRITE, "IdempotencyTable": IDEMPOTENCY},
    "CollectWorkerFunction": {"DataTable": WRITE},
    # the erasure worker sweeps every table once per erasure (the only Scan), deleting or making
    # anonymous what names the member; unfollows and withdrawn votes are transactions
    "ErasureWorkerFunction": {
        "DataTable": {
            "Scan",
            "GetItem",
            "Query",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "ConditionCheckItem",
        },
        "IdempotencyTable": {"Scan", "DeleteItem"},
        "ConnectionsTable": {"Scan", "DeleteItem"},
    },
    # the export worker sweeps the data table once per export (as erasure finds a member's things) and
    # keeps its export record with conditional updates (claim, progress, ready or failed)
    "ExportWorkerFunction": {"DataTable": {"Scan", "GetItem", "UpdateItem"}},
    # the socket reads events, sessions and memberships by key; keeps connections and subscriptions
    "LiveSocketFunction": {
        "DataTable": {"GetItem"},
        "ConnectionsTable": {"GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"},
    },
    # the push worker reads an event (and memberships) by key, its subscribers by the topic index,
    # deletes a gone connection's items in one batch, and keeps the coalesced ticks (an interval per
    # topic, a claim per tick, parts added under a condition check on the claim); a tick's posts are
    # read in one batch; who blocked their authors is a Query of the blockers index
    "LivePushFunction": {
        "DataTable": {"GetItem", "BatchGetItem", "Query"},
        "ConnectionsTable": {
            "GetItem",
            "Query",
            "PutItem",
            "UpdateItem",
            "ConditionCheckItem",
            "BatchWriteItem",
        },
    },
    "FeedsApiFunction": {"DataTable": READ},
    "PacksApiFunction": {"DataTable": WRITE, "IdempotencyTable": IDEMPOTENCY},
    "PacksWorkerFunction": {"DataTable": WRITE},
    "NetworkApiFunction": {"DataTable": WRITE, "IdempotencyTable": IDEMPOTENCY},
    "FanoutWorkerFunction": {"DataTable": WRITE},
    "DeliveryWorkerFunction": {"DataTable": WRITE},
    "StreamRouterFunction": {},  # reads the stream through its event source mapping only
}


def test_each_function_is_granted_exactly_the_dynamodb_actions_its_code_calls(template):
    assert dynamodb_grants(template) == EXPECTED


def test_no_function_may_scan_or_batch_write_unless_it_does(template):
    for function, tables in dynamodb_grants(template).items():
        for table, actions in tables.items():
            # no Scan on any request path (DESIGN.md); the erasure and export workers, on queues, sweep
            # a table once per erasure or export to find everything that names the member
            if function not in ("ErasureWorkerFunction", "ExportWorkerFunction"):
                assert "Scan" not in actions, (function, table)
            if "BatchWriteItem" in actions:
                assert (function, table) in {
                    ("LiveSocketFunction", "ConnectionsTable"),
                    ("LivePushFunction", "ConnectionsTable"),
                }, (function, table)


def test_no_function_gets_a_whole_table_policy_template(template):
    for logical, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for policy in resource["Properties"].get("Policies") or []:
            names = set(policy) if isinstance(policy, dict) else {policy}
            assert not {n for n in names if n.startswith("DynamoDB")}, (logical, names)
