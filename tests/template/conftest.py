"""Fixtures of the template checks: the parsed template (tags kept) and its SAM transform."""

from __future__ import annotations

from typing import Any

import pytest

from backchannel_openapi.routes import TEMPLATE, functions, load_template
from local.provision import merge_function_globals


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


@pytest.fixture(scope="session")
def sam_functions(template):
    return functions(template)


def merged_function(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """A function's properties with ``Globals.Function`` applied (maps merge, lists concatenate), by the
    same SAM rules the local runtime applies."""
    return merge_function_globals(
        (template.get("Globals") or {}).get("Function") or {},
        template["Resources"][logical_id].get("Properties") or {},
    )


@pytest.fixture(scope="session")
def merged():
    return merged_function
