"""In-process functions with their own environments (local.lambdas), on the running fixture stack."""

from __future__ import annotations

import os
import sys

import pytest

from local.apigw import build_http_event
from tests.support.runtime import http


def test_each_function_sees_only_its_own_environment_even_when_invoked_alternately(local_runtime):
    echo_table = local_runtime.local_stack.physical_id("Items")
    env_table = local_runtime.local_stack.physical_id("NamedTable")

    for _ in range(2):
        echo = http("GET", f"{local_runtime.url}/public/1").json
        env = http("GET", f"{local_runtime.url}/env").json

        assert echo["env"]["OVERRIDDEN"] == "from-echo"
        assert echo["env"]["QUEUE_URL"] == local_runtime.local_stack.physical_id("WorkQueue")
        assert echo["env"]["ONLY_IN_ENV"] is None
        assert env["env"]["OVERRIDDEN"] == "from-globals"
        assert env["env"]["QUEUE_URL"] is None
        assert env["env"]["ONLY_IN_ENV"] == "not-prod"
        assert echo["env"]["SHARED_SETTING"] == env["env"]["SHARED_SETTING"] == "from-globals"
        # the shared package's cached config follows the function being invoked
        assert (echo["configTable"], env["configTable"]) == (echo_table, env_table)


def test_the_process_environment_is_restored_after_each_invocation(local_runtime):
    before = dict(os.environ)
    runtime = local_runtime.runtimes["EnvFunction"]
    event = build_http_event(method="GET", path="/env", route_key="GET /env")

    result = runtime.invoke(event)

    assert result["statusCode"] == 200
    assert dict(os.environ) == before
    assert "ONLY_IN_ENV" not in os.environ


def test_handlers_are_imported_under_unique_module_names(local_runtime):
    http("GET", f"{local_runtime.url}/env")
    http("GET", f"{local_runtime.url}/public/1")

    assert local_runtime.runtimes["EnvFunction"].module_name == "functions.local_env.app"
    assert sys.modules["functions.local_env.app"] is not sys.modules["functions.local_echo.app"]


def test_handler_exceptions_propagate_to_the_caller(local_runtime):
    runtime = local_runtime.runtimes["EchoFunction"]

    with pytest.raises(RuntimeError, match="boom"):
        runtime.invoke(build_http_event(method="GET", path="/boom", route_key="GET /boom"))
