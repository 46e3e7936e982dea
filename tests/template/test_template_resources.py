"""Static checks of template.yaml's resources: runtime, layers, logs, queues and tables."""

from __future__ import annotations

from typing import Any

LOG_GROUP = "AWS::Logs::LogGroup"
TABLE = "AWS::DynamoDB::Table"
QUEUES = ("AWS::SQS::Queue",)


def of_type(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v.get("Type") in types}


def refs(value: Any) -> set[str]:
    """Every logical id a value refers to (Ref, GetAtt, ${Name} in Sub)."""
    import re

    found: set[str] = set()
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else str(arg).split(".")[0])
            elif key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) else arg
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                if isinstance(arg, list):
                    found |= refs(arg[1])
            else:
                found |= refs(arg)
    elif isinstance(value, list):
        for item in value:
            found |= refs(item)
    return found


def test_there_are_functions_to_check(sam_functions):
    assert sam_functions, "no AWS::Serverless::Function with a local CodeUri in template.yaml"


def test_functions_run_python_3_12_on_arm64_with_the_backchannel_layer(template, sam_functions, merged):
    for fn in sam_functions:
        props = merged(template, fn.logical_id)
        assert props.get("Runtime") == "python3.12", fn.logical_id
        assert props.get("Architectures") == ["arm64"], fn.logical_id
        assert {"Ref": "BackchannelLayer"} in (props.get("Layers") or []), fn.logical_id


def test_every_function_has_a_log_group_with_retention(template, sam_functions, merged):
    groups = of_type(template, LOG_GROUP)
    for fn in sam_functions:
        props = merged(template, fn.logical_id)
        explicit = (props.get("LoggingConfig") or {}).get("LogGroup")
        mine = [
            name
            for name, group in groups.items()
            if (explicit is not None and name in refs(explicit))
            or (
                "/aws/lambda/" in str((group.get("Properties") or {}).get("LogGroupName"))
                and fn.logical_id in refs((group.get("Properties") or {}).get("LogGroupName"))
            )
        ]
        assert mine, f"{fn.logical_id} has no AWS::Logs::LogGroup (/aws/lambda/${{{fn.logical_id}}})"
        for name in mine:
            assert groups[name]["Properties"].get("RetentionInDays"), f"{name} keeps logs forever"


def test_every_log_group_has_retention(template):
    for name, group in of_type(template, LOG_GROUP).items():
        assert (group.get("Properties") or {}).get("RetentionInDays"), f"{name} keeps logs forever"


def test_every_queue_has_a_dead_letter_queue(template):
    queues = of_type(template, *QUEUES)
    dlqs = set()
    for queue in queues.values():
        redrive = (queue.get("Properties") or {}).get("RedrivePolicy") or {}
        dlqs |= refs(redrive.get("deadLetterTargetArn"))
    # queues that are event sources' OnFailure destinations are dead-letter queues too
    for function in of_type(template, "AWS::Serverless::Function").values():
        for source in ((function.get("Properties") or {}).get("Events") or {}).values():
            failure = (
                ((source.get("Properties") or {}).get("DestinationConfig") or {}).get("OnFailure")
            ) or {}
            dlqs |= refs(failure.get("Destination"))
            dlqs |= refs(((source.get("Properties") or {}).get("DeadLetterConfig") or {}).get("Arn"))
        # and so are asynchronous invocations' on-failure destinations
        invoke = (function.get("Properties") or {}).get("EventInvokeConfig") or {}
        dlqs |= refs(((invoke.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"))
    for name, queue in queues.items():
        if name in dlqs:
            continue  # a dead-letter queue itself
        redrive = (queue.get("Properties") or {}).get("RedrivePolicy") or {}
        assert redrive.get("deadLetterTargetArn"), f"{name} has no RedrivePolicy to a DLQ"
        count = redrive.get("maxReceiveCount", 0)
        if isinstance(count, dict) and "Ref" in count:  # a parameter: its lowest allowed value
            count = template["Parameters"][count["Ref"]].get("MinValue", 0)
        assert int(count) >= 1, f"{name}: RedrivePolicy.maxReceiveCount"


def test_every_table_has_point_in_time_recovery_and_encryption(template):
    tables = of_type(template, TABLE)
    assert tables
    for name, table in tables.items():
        props = table.get("Properties") or {}
        pitr = props.get("PointInTimeRecoverySpecification") or {}
        assert pitr.get("PointInTimeRecoveryEnabled") is True, f"{name}: no point-in-time recovery"
        assert (props.get("SSESpecification") or {}).get("SSEEnabled") is True, f"{name}: SSE not enabled"


def _tables_named_by(template: dict[str, Any], variable: str) -> set[str]:
    tables = set(of_type(template, TABLE))
    found: set[str] = set()
    for resource in template["Resources"].values():
        env = ((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
        if variable in env:
            found |= refs(env[variable]) & tables
    return found


def test_the_main_table_streams_new_and_old_images(template):
    mains = _tables_named_by(template, "DATA_TABLE_NAME")
    assert mains, "no function names its DATA_TABLE_NAME with a table of this template"
    for name in mains:
        stream = template["Resources"][name]["Properties"].get("StreamSpecification") or {}
        assert stream.get("StreamViewType") == "NEW_AND_OLD_IMAGES", name


def test_the_idempotency_table_expires_records(template):
    tables = _tables_named_by(template, "IDEMPOTENCY_TABLE_NAME")
    assert tables, "no function names its IDEMPOTENCY_TABLE_NAME with a table of this template"
    for name in tables:
        props = template["Resources"][name]["Properties"]
        ttl = props.get("TimeToLiveSpecification") or {}
        assert ttl == {"AttributeName": "expiration", "Enabled": True}, name
        # Powertools' DynamoDBPersistenceLayer keys records by "id" unless told otherwise.
        assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}], name
