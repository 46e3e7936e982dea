"""Read ``template.yaml`` and resolve its intrinsic functions, as CloudFormation would.

The local runtime builds everything from the template, so the template stays the one source of truth.
Two pieces live here:

* :func:`load_template`, a YAML loader that understands CloudFormation's short-form tags (``!Ref``,
  ``!Sub``, ``!GetAtt`` ...) and turns each into its long form (``{"Ref": ...}``, ``{"Fn::Sub": ...}``),
  so nothing is lost by parsing (tags are never stripped).
* :class:`Stack`, which holds what CloudFormation knows while it creates a stack: parameter values,
  pseudo parameters, conditions, and the physical id and attributes of each resource created so far,
  and :meth:`Stack.resolve` to evaluate ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``,
  ``Fn::Select``, ``Fn::Split``, ``Fn::If``, ``Fn::FindInMap`` and friends against them.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import yaml

__all__ = ["NO_VALUE", "Stack", "UnresolvedReference", "load_template"]

# Short-form tags and the long-form key each becomes. ``!GetAtt`` and ``!Condition`` need care.
_FN_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "FindInMap": "Fn::FindInMap",
    "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue",
    "Base64": "Fn::Base64",
    "Cidr": "Fn::Cidr",
    "Length": "Fn::Length",
    "ToJsonString": "Fn::ToJsonString",
    "Transform": "Fn::Transform",
}


class _CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A SafeLoader (libyaml's when PyYAML has it) that keeps CloudFormation tags as their long-form dicts."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = tag_suffix
    if name not in _FN_TAGS:
        raise yaml.constructor.ConstructorError(
            None, None, f"unknown CloudFormation tag !{name}", node.start_mark
        )
    key = _FN_TAGS[name]
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "GetAtt":
            # !GetAtt Resource.Attribute.Maybe.Dotted -> ["Resource", "Attribute.Maybe.Dotted"]
            logical_id, _, attribute = value.partition(".")
            value = [logical_id, attribute]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def _no_dates(loader: _CfnLoader, node: yaml.Node) -> str:
    """CloudFormation treats ``2010-09-09`` as a string, not a date."""
    return loader.construct_scalar(node)


_CfnLoader.add_constructor("tag:yaml.org,2002:timestamp", _no_dates)


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template (YAML or JSON), keeping every intrinsic function.

    Each call returns a fresh copy, which its caller may change; the parse itself is kept while the
    file is unchanged (the tests provision a stack per test from the same template)."""
    path = Path(path).resolve()
    stat = path.stat()
    return copy.deepcopy(_parsed(path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, mtime_ns: int, size: int) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(data, dict) or "Resources" not in data:
        raise ValueError(f"{path} is not a CloudFormation template (no Resources)")
    return data


class UnresolvedReference(LookupError):
    """A Ref or GetAtt names something the stack does not (yet) know."""


class _NoValue:
    """``AWS::NoValue``: removes the property or list element it stands for."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Stack:
    """What CloudFormation knows about a stack while creating it, and how to resolve intrinsics.

    ``physical_ids`` maps a logical id to what ``Ref`` returns for it; ``attributes`` maps a logical
    id to its ``Fn::GetAtt`` attributes. The provisioner fills both as it creates each resource.
    """

    def __init__(
        self,
        template: dict[str, Any],
        *,
        stack_name: str = "backchannel-local",
        region: str = "us-east-1",
        account_id: str = "123456789012",
        parameters: dict[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id
        self.resources: dict[str, dict[str, Any]] = template.get("Resources", {})
        self.physical_ids: dict[str, str] = {}
        self.attributes: dict[str, dict[str, Any]] = {}
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Partition": "aws",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        self.parameters = self._parameter_values(parameters or {})
        self._conditions: dict[str, bool] = {}

    # ----------------------------------------------------------------------------------------
    # Parameters and conditions
    # ----------------------------------------------------------------------------------------
    def _parameter_values(self, overrides: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        declared = self.template.get("Parameters", {}) or {}
        unknown = set(overrides) - set(declared)
        if unknown:
            raise ValueError(f"unknown template parameter(s): {', '.join(sorted(unknown))}")
        for name, spec in declared.items():
            if name in overrides:
                raw = overrides[name]
            elif "Default" in spec:
                raw = spec["Default"]
            else:
                raise ValueError(f"template parameter {name} has no default: pass a value for it")
            kind = str(spec.get("Type", "String"))
            if kind == "CommaDelimitedList" or kind.startswith("List<"):
                values[name] = raw if isinstance(raw, list) else [p.strip() for p in str(raw).split(",")]
            else:
                # CloudFormation hands every scalar parameter to intrinsics as a string.
                values[name] = str(raw)
        return values

    def condition(self, name: str) -> bool:
        """Evaluate (and cache) a named condition from the template's ``Conditions``."""
        if name not in self._conditions:
            conditions = self.template.get("Conditions", {}) or {}
            if name not in conditions:
                raise UnresolvedReference(f"unknown condition {name}")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    def check_rules(self) -> None:
        """Raise ValueError naming the first failed assertion of the template's ``Rules``, as
        CloudFormation refuses to create a stack whose parameters break one."""
        for name, rule in (self.template.get("Rules") or {}).items():
            if "RuleCondition" in rule and not self._truth(rule["RuleCondition"]):
                continue
            for assertion in rule.get("Assertions") or []:
                if not self._truth(assertion["Assert"]):
                    raise ValueError(f"template rule {name}: {assertion.get('AssertDescription', 'failed')}")

    def resource_enabled(self, logical_id: str) -> bool:
        """False when the resource's ``Condition`` is false (CloudFormation skips it)."""
        name = self.resources[logical_id].get("Condition")
        return True if name is None else self.condition(name)

    # ----------------------------------------------------------------------------------------
    # Resolution
    # ----------------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """Return ``value`` with every intrinsic function evaluated (recursively).

        Raises :class:`UnresolvedReference` for a Ref/GetAtt to a resource not created yet.
        """
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = self._FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def ref(self, name: str) -> Any:
        """What ``{"Ref": name}`` evaluates to."""
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical_ids:
            return self.physical_ids[name]
        if name in self.resources:
            raise UnresolvedReference(f"Ref {name}: resource not created yet")
        raise UnresolvedReference(f"Ref {name}: no such parameter or resource")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """What ``{"Fn::GetAtt": [logical_id, attribute]}`` evaluates to."""
        attrs = self.attributes.get(logical_id)
        if attrs is None:
            raise UnresolvedReference(f"GetAtt {logical_id}.{attribute}: resource not created yet")
        if attribute not in attrs:
            raise UnresolvedReference(f"GetAtt {logical_id}.{attribute}: attribute not available locally")
        return attrs[attribute]

    def _fn_ref(self, arg: Any) -> Any:
        return self.ref(self.resolve(arg))

    def _fn_get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            logical_id, _, attribute = arg.partition(".")
        else:
            logical_id, attribute = (self.resolve(a) for a in arg)
        return self.get_att(logical_id, attribute)

    def _fn_sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in (arg[1] or {}).items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} renders as ${Literal}
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                value = variables[name]
            elif "." in name and name.split(".", 1)[0] in self.resources:
                value = self.get_att(*name.split(".", 1))
            else:
                value = self.ref(name)
            return _to_text(value)

        return _SUB_VARIABLE.sub(replace, text)

    def _fn_join(self, arg: Any) -> str:
        delimiter, items = arg[0], self.resolve(arg[1])
        return str(delimiter).join(_to_text(i) for i in items)

    def _fn_select(self, arg: Any) -> Any:
        index, items = int(self.resolve(arg[0])), self.resolve(arg[1])
        return items[index]

    def _fn_split(self, arg: Any) -> list[str]:
        delimiter, text = arg[0], self.resolve(arg[1])
        return str(text).split(delimiter)

    def _fn_if(self, arg: Any) -> Any:
        name, if_true, if_false = arg
        return self.resolve(if_true if self.condition(name) else if_false)

    def _fn_equals(self, arg: Any) -> bool:
        left, right = (self.resolve(a) for a in arg)
        return _to_text(left) == _to_text(right)

    def _fn_not(self, arg: Any) -> bool:
        return not self._truth(arg[0] if isinstance(arg, list) else arg)

    def _fn_and(self, arg: Any) -> bool:
        return all(self._truth(a) for a in arg)

    def _fn_or(self, arg: Any) -> bool:
        return any(self._truth(a) for a in arg)

    def _fn_condition(self, arg: Any) -> bool:
        return self.condition(arg)

    def _truth(self, value: Any) -> bool:
        resolved = self.resolve(value)
        return resolved if isinstance(resolved, bool) else str(resolved).lower() == "true"

    def _fn_find_in_map(self, arg: Any) -> Any:
        map_name, top, second = (self.resolve(a) for a in arg[:3])
        return self.template["Mappings"][map_name][top][second]

    def _fn_get_azs(self, arg: Any) -> list[str]:
        region = self.resolve(arg) or self.region
        return [f"{region}{suffix}" for suffix in "abc"]

    def _fn_base64(self, arg: Any) -> str:
        import base64

        return base64.b64encode(_to_text(self.resolve(arg)).encode()).decode()

    def _fn_to_json_string(self, arg: Any) -> str:
        return json.dumps(self.resolve(arg), separators=(",", ":"))

    def _fn_length(self, arg: Any) -> int:
        return len(self.resolve(arg))

    def _fn_unsupported(self, arg: Any) -> Any:
        raise UnresolvedReference(f"intrinsic not supported locally: {arg!r}")

    _FUNCTIONS = {
        "Ref": _fn_ref,
        "Fn::GetAtt": _fn_get_att,
        "Fn::Sub": _fn_sub,
        "Fn::Join": _fn_join,
        "Fn::Select": _fn_select,
        "Fn::Split": _fn_split,
        "Fn::If": _fn_if,
        "Fn::Equals": _fn_equals,
        "Fn::Not": _fn_not,
        "Fn::And": _fn_and,
        "Fn::Or": _fn_or,
        "Condition": _fn_condition,
        "Fn::FindInMap": _fn_find_in_map,
        "Fn::GetAZs": _fn_get_azs,
        "Fn::Base64": _fn_base64,
        "Fn::ToJsonString": _fn_to_json_string,
        "Fn::Length": _fn_length,
        "Fn::ImportValue": _fn_unsupported,
        "Fn::Cidr": _fn_unsupported,
        "Fn::Transform": _fn_unsupported,
    }

    # ----------------------------------------------------------------------------------------
    # Dependencies
    # ----------------------------------------------------------------------------------------
    def dependencies(self, logical_id: str) -> set[str]:
        """Logical ids of the resources this one refers to (Ref, GetAtt, Sub, DependsOn)."""
        resource = self.resources[logical_id]
        found: set[str] = set()
        depends_on = resource.get("DependsOn", [])
        found.update([depends_on] if isinstance(depends_on, str) else depends_on)
        self._collect_references(resource.get("Properties", {}), found)
        if resource.get("Type") == "AWS::Serverless::Function":
            globals_ = (self.template.get("Globals") or {}).get("Function") or {}
            self._collect_references(globals_, found)
        return {name for name in found if name in self.resources and name != logical_id}

    def _collect_references(self, value: Any, found: set[str]) -> None:
        if isinstance(value, list):
            for item in value:
                self._collect_references(item, found)
        elif isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref" and isinstance(arg, str):
                    found.add(arg)
                elif key == "Fn::GetAtt":
                    found.add(arg.split(".", 1)[0] if isinstance(arg, str) else arg[0])
                elif key == "Fn::Sub":
                    text = arg[0] if isinstance(arg, list) else arg
                    local = set(arg[1] or {}) if isinstance(arg, list) else set()
                    for name in _SUB_VARIABLE.findall(text):
                        if not name.startswith("!") and name not in local:
                            found.add(name.split(".", 1)[0])
            for item in value.values():
                self._collect_references(item, found)

    def creation_order(self) -> list[str]:
        """Logical ids in an order where every resource comes after those it refers to."""
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(name: str, trail: tuple[str, ...]) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                raise ValueError(f"circular dependency: {' -> '.join((*trail, name))}")
            state[name] = "visiting"
            for dep in sorted(self.dependencies(name)):
                visit(dep, (*trail, name))
            state[name] = "done"
            order.append(name)

        for name in self.resources:
            visit(name, ())
        return order


def _to_text(value: Any) -> str:
    """How CloudFormation renders a value inside a string (Sub, Join, Equals)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_to_text(v) for v in value)
    return str(value)
