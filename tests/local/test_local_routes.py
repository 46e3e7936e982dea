"""Route matching and API Gateway's precedence (local.routes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.provision import FunctionSpec, HttpApiSpec
from local.routes import Route, RouteTable

API = HttpApiSpec("Api", "api0000001", {"Auth": {"DefaultAuthorizer": "Jwt", "Authorizers": {"Jwt": {}}}})


def _route(method: str, path: str, name: str, authorizer: str | None = "Jwt") -> Route:
    spec = FunctionSpec(name, name, Path("/x") / name, "app.lambda_handler", {})
    segments = tuple(path.strip("/").split("/")) if path.strip("/") and path != "$default" else ()
    return Route(method, path, spec, API, authorizer, (), segments)


@pytest.fixture
def table() -> RouteTable:
    return RouteTable(
        [
            _route("ANY", "/{proxy+}", "catch_all", None),
            _route("GET", "/events/{eventId}", "get_event", None),
            _route("GET", "/events/mine", "my_events"),
            _route("ANY", "/events/{eventId}/sessions", "any_sessions"),
            _route("POST", "/events/{eventId}/sessions", "create_session"),
            _route("GET", "/files/{proxy+}", "files", None),
            _route("GET", "/events", "list_events", None),
            _route("ANY", "$default", "default", None),
        ]
    )


@pytest.mark.parametrize(
    ("method", "path", "function", "route_key", "params"),
    [
        ("GET", "/events", "list_events", "GET /events", {}),
        ("GET", "/events/mine", "my_events", "GET /events/mine", {}),  # literal beats {param}
        ("GET", "/events/e%201", "get_event", "GET /events/{eventId}", {"eventId": "e 1"}),
        (
            "POST",
            "/events/e1/sessions",
            "create_session",
            "POST /events/{eventId}/sessions",
            {"eventId": "e1"},
        ),
        ("PUT", "/events/e1/sessions", "any_sessions", "ANY /events/{eventId}/sessions", {"eventId": "e1"}),
        ("GET", "/files/a/b/c.txt", "files", "GET /files/{proxy+}", {"proxy": "a/b/c.txt"}),
        ("DELETE", "/events/e1", "catch_all", "ANY /{proxy+}", {"proxy": "events/e1"}),
        ("GET", "/", "default", "$default", {}),
    ],
)
def test_most_specific_route_wins(table, method, path, function, route_key, params):
    match = table.match(method, path)

    assert match is not None
    function_spec, key, path_params, _auth = match
    assert (function_spec.logical_id, key, path_params) == (function, route_key, params)


def test_auth_follows_the_default_authorizer_unless_none(table):
    assert table.match("GET", "/events/mine").auth_required is True
    assert table.match("GET", "/events").auth_required is False


def test_no_match_without_a_catch_all():
    table = RouteTable([_route("GET", "/events/{eventId}", "get_event")])

    assert table.match("GET", "/events") is None
    assert table.match("GET", "/events/e1/extra") is None
    assert table.match("POST", "/events/e1") is None
    assert table.match("GET", "/events/") is None  # an empty {param} does not match


def test_routes_from_the_fixture_template(fixture_template):
    from moto import mock_aws

    from local.provision import provision

    with mock_aws():
        stack = provision(fixture_template)
    table = RouteTable.from_stack(stack)

    assert table.match("GET", "/public/p1")[:4] == (
        stack.functions["EchoFunction"],
        "GET /public/{id}",
        {"id": "p1"},
        False,
    )
    assert table.match("POST", "/private").auth_required is True
    assert table.match("PATCH", "/files/x/y").route_key == "ANY /files/{proxy+}"
    assert table.match("DELETE", "/private") is None
