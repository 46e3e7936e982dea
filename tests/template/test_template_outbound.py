"""The outbound allow list is for the local runtime only: a deployment cannot set it without also
saying ``LocalOnly=true`` (a Rule refuses the stack), and without it no function sees the list."""

from __future__ import annotations

import pytest

from backchannel_openapi.routes import TEMPLATE
from local.runner import local_parameters
from local.template import Stack

RECEIVER = "http://127.0.0.1:3002"


def _allow_lists(template, **parameters) -> dict[str, str]:
    """OUTBOUND_ALLOW_LIST of every function that has one, as CloudFormation would resolve it."""
    stack = Stack(template, parameters=parameters)
    return {
        name: stack.resolve(variables["OUTBOUND_ALLOW_LIST"])
        for name, resource in template["Resources"].items()
        if "OUTBOUND_ALLOW_LIST"
        in (variables := ((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {})
    }


def test_by_default_no_function_has_an_allow_list(template):
    Stack(template).check_rules()
    lists = _allow_lists(template)
    assert set(lists) == {
        "NetworkApiFunction",
        "DeliveryWorkerFunction",
        "ScheduleImportWorkerFunction",
        "CollectApiFunction",
        "CollectWorkerFunction",
        "PacksWorkerFunction",
    }
    assert set(lists.values()) == {""}


def test_an_allow_list_without_local_only_is_refused_and_would_be_ignored(template):
    with pytest.raises(ValueError, match="OutboundAllowListIsLocalOnly"):
        Stack(template, parameters={"OutboundAllowList": RECEIVER}).check_rules()
    with pytest.raises(ValueError, match="OutboundAllowListIsLocalOnly"):
        Stack(template, parameters={"OutboundAllowList": RECEIVER, "LocalOnly": "false"}).check_rules()
    # and were the rule ever skipped, the functions would still not see it
    assert set(_allow_lists(template, OutboundAllowList=RECEIVER).values()) == {""}


COLLECTING = {"CollectApiFunction", "CollectWorkerFunction", "PacksWorkerFunction"}


def test_the_local_runtime_sets_local_only_and_exactly_its_receivers(template):
    gateway = "http://127.0.0.1:3000"  # where the fake networks are served
    parameters = local_parameters(TEMPLATE, receivers=(RECEIVER,), fakes=(gateway,))
    assert (parameters["LocalOnly"], parameters["OutboundAllowList"]) == ("true", RECEIVER)
    assert parameters["CollectAllowList"] == gateway
    Stack(template, parameters=parameters).check_rules()
    lists = _allow_lists(template, **parameters)
    assert {name: value for name, value in lists.items() if name not in COLLECTING} == dict.fromkeys(
        set(lists) - COLLECTING, RECEIVER
    )
    assert {lists[name] for name in COLLECTING} == {gateway}


def test_a_collect_allow_list_without_local_only_is_refused(template):
    with pytest.raises(ValueError, match="CollectAllowListIsLocalOnly"):
        Stack(template, parameters={"CollectAllowList": "http://127.0.0.1:3000"}).check_rules()
