"""Contract: the template's HttpApi events and the functions' Powertools resolvers name the same routes."""

from __future__ import annotations

import importlib
from collections import defaultdict

import pytest

from backchannel_openapi.routes import api_routes, load_app, resolver_routes


def _by_function(template):
    routes = defaultdict(list)
    for route in api_routes(template):
        routes[route.function.logical_id].append(route)
    return routes


def test_every_template_route_is_served_and_every_served_route_is_in_the_template(template, sam_functions):
    declared = _by_function(template)
    for fn in sam_functions:
        app = getattr(importlib.import_module(fn.module), "app", None)
        if app is None or not hasattr(app, "_static_routes"):
            assert not declared[fn.logical_id], (
                f"{fn.logical_id} has HttpApi events but {fn.module} no resolver"
            )
            continue
        served = {r.key for r in resolver_routes(load_app(fn))}
        wanted = {r.key for r in declared[fn.logical_id]}
        missing = sorted(wanted - served)
        extra = sorted(served - wanted)
        assert not missing, f"{fn.logical_id}: in template.yaml, no route in {fn.module}: {missing}"
        assert not extra, f"{fn.logical_id}: routes of {fn.module} missing from template.yaml: {extra}"


def test_no_route_is_declared_twice(template):
    seen: dict[tuple[str, str], str] = {}
    for route in api_routes(template):
        where = f"{route.function.logical_id}.{route.event_name}"
        assert route.key not in seen, f"{route.method} {route.path}: {where} and {seen[route.key]}"
        seen[route.key] = where


def test_path_parameters_match_the_route_functions(template):
    import inspect

    for route in api_routes(template):
        served = {r.key: r for r in resolver_routes(load_app(route.function))}.get(route.key)
        if served is None:
            continue  # reported by the contract test above
        params = list(inspect.signature(served.func).parameters)
        assert params == route.path_params, f"{route.method} {route.path}: {served.func.__name__}{params}"


@pytest.mark.parametrize("check", ["documented", "public"])
def test_route_metadata_agrees_with_the_template(template, check):
    for route in api_routes(template):
        served = {r.key: r for r in resolver_routes(load_app(route.function))}.get(route.key)
        if served is None:
            continue
        where = f"{route.method} {route.path} ({served.func.__name__})"
        meta = served.openapi
        assert meta is not None, (
            f"{where}: register it with the resolver of backchannel.core.routes (@app.get/post/... with a docstring)"
        )
        if check == "public":
            said = "Auth: {Authorizer: NONE}" if route.public else "the JWT authorizer"
            assert bool(meta["public"]) == route.public, f"{where}: the template gives it {said}"
