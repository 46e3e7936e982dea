"""Fixtures of the template checks: the parsed template (tags kept) and its SAM transform."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from backchannel_openapi.routes import TEMPLATE, functions, load_template


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


@pytest.fixture(scope="session")
def sam_functions(template):
    return functions(template)


def merged_function(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """A function's properties with ``Globals.Function`` applied (maps merge, lists concatenate)."""
    merged = copy.deepcopy((template.get("Globals") or {}).get("Function") or {})
    for key, value in (template["Resources"][logical_id].get("Properties") or {}).items():
        if key == "Environment":
            variables = {**((merged.get("Environment") or {}).get("Variables") or {})}
            variables.update((value or {}).get("Variables") or {})
            merged["Environment"] = {"Variables": variables}
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + value
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


@pytest.fixture(scope="session")
def merged():
    return merged_function
