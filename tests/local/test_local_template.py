"""Template loading and intrinsic resolution (local.template)."""

from __future__ import annotations

import pytest

from local.template import Stack, UnresolvedReference, load_template


def test_short_form_tags_become_long_form_functions(fixture_template):
    template = load_template(fixture_template)

    resources = template["Resources"]
    assert resources["PoolClient"]["Properties"]["UserPoolId"] == {"Ref": "Pool"}
    assert resources["WorkQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["WorkDlq", "Arn"]
    }
    assert template["Conditions"]["IsNotProd"] == {"Fn::Not": [{"Condition": "IsProd"}]}
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"  # a string, not a date


def test_the_real_template_loads_with_its_tags():
    template = load_template("template.yaml")

    assert template["Outputs"]["ApiUrl"]["Value"] == {
        "Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    }


def _stack(**parameters):
    template = {
        "Parameters": {
            "Stage": {"Type": "String", "Default": "dev"},
            "Zones": {"Type": "CommaDelimitedList", "Default": "a,b"},
        },
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        },
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table"},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"Name": {"Fn::GetAtt": ["Table", "Arn"]}}},
        },
    }
    stack = Stack(template, stack_name="demo", parameters=parameters)
    stack.physical_ids["Table"] = "demo-Table"
    stack.attributes["Table"] = {"Arn": "arn:aws:dynamodb:us-east-1:123456789012:table/demo-Table"}
    return stack


def test_sub_in_both_forms_with_pseudo_parameters_refs_and_attributes():
    stack = _stack()

    assert stack.resolve({"Fn::Sub": "${AWS::StackName}-${Table}-${Stage}"}) == "demo-demo-Table-dev"
    assert stack.resolve({"Fn::Sub": "${Table.Arn}/stream"}).endswith("table/demo-Table/stream")
    assert stack.resolve({"Fn::Sub": ["${Greeting}, ${AWS::Region}", {"Greeting": {"Ref": "Stage"}}]}) == (
        "dev, us-east-1"
    )
    assert stack.resolve({"Fn::Sub": "${!NotAVariable}"}) == "${NotAVariable}"
    assert stack.resolve({"Ref": "AWS::AccountId"}) == "123456789012"
    assert stack.resolve({"Fn::Sub": "${AWS::URLSuffix}/${AWS::Partition}"}) == "amazonaws.com/aws"


def test_join_select_split_and_getatt():
    stack = _stack()

    assert stack.resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}, {"Ref": "Table"}]]}) == "a-dev-demo-Table"
    arn = {"Fn::GetAtt": ["Table", "Arn"]}
    assert stack.resolve({"Fn::Select": [3, {"Fn::Split": [":", arn]}]}) == "us-east-1"
    assert stack.resolve({"Fn::GetAtt": "Table.Arn"}).startswith("arn:aws:dynamodb")
    assert stack.resolve({"Ref": "Zones"}) == ["a", "b"]


def test_if_follows_conditions_and_parameter_overrides():
    dev, prod = _stack(), _stack(Stage="prod")
    choice = {"Fn::If": ["IsProd", "big", "small"]}

    assert dev.resolve(choice) == "small"
    assert prod.resolve(choice) == "big"
    assert prod.resolve({"Fn::If": ["NotProd", "x", {"Ref": "AWS::NoValue"}]}) is not None
    assert prod.resolve({"A": {"Fn::If": ["NotProd", "x", {"Ref": "AWS::NoValue"}]}, "B": 1}) == {"B": 1}
    assert prod.resolve(["x", {"Fn::If": ["NotProd", "y", {"Ref": "AWS::NoValue"}]}]) == ["x"]


def test_references_to_unknown_or_uncreated_resources_fail_clearly():
    stack = _stack()

    with pytest.raises(UnresolvedReference, match="not created yet"):
        stack.resolve({"Fn::GetAtt": ["Queue", "Arn"]})
    with pytest.raises(UnresolvedReference, match="no such parameter"):
        stack.resolve({"Ref": "Nope"})
    with pytest.raises(ValueError, match="unknown template parameter"):
        _stack(Nope="1")


def test_creation_order_puts_dependencies_first(fixture_template):
    stack = Stack(load_template(fixture_template))
    order = stack.creation_order()

    assert order.index("Pool") < order.index("PoolClient") < order.index("Api")
    assert order.index("WorkDlq") < order.index("WorkQueue") < order.index("ToWork")
    assert order.index("EchoFunction") < order.index("Logs")  # Logs' name is !Sub'd from the function
