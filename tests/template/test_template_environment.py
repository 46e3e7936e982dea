"""Contract: every setting a function uses is declared for it in template.yaml.

Each function's handler runs through every one of its routes on moto (tables built from the template),
with ``os.environ`` replaced by a recording mapping that holds only what Lambda provides plus the
template's Globals and the function's own Environment. A ``Config.require`` of an undeclared setting,
a 500, or a read of the environment outside ``backchannel.core.config`` fails the test.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import os
import re
import sys
import uuid
from typing import Any

import pytest

from backchannel_openapi.routes import api_routes, functions, load_app, load_template, resolver_routes
from tests.support.api import FakeContext

# What the Lambda runtime sets for every function (and what the harness needs to stay offline).
LAMBDA_PROVIDED = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_FORMAT": "JSON",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    "LAMBDA_TASK_ROOT": "/var/task",
    "LAMBDA_RUNTIME_DIR": "/var/runtime",
    "_HANDLER": "app.lambda_handler",
    "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
    "TZ": ":UTC",
    "LANG": "en_US.UTF-8",
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    # the harness: no X-Ray daemon here; no account-id endpoints on moto
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}
# Frames of these modules are the plumbing of a read, not its reader.
_PLUMBING = {"os", "_collections_abc", "typing", __name__}
ORGANISER = {
    "sub": "11111111-2222-3333-4444-555555555555",
    "username": "olivia",
    "cognito:groups": "[organisers]",
    "email": "olivia@example.com",
    "token_use": "access",
    "client_id": "webclient",
}


class RecordingEnviron(dict):
    """``os.environ`` for one invocation: a plain dict that remembers who read which key."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.reads: list[tuple[str, str]] = []

    def _note(self, key: Any) -> None:
        frame = sys._getframe(2)
        while frame is not None and frame.f_globals.get("__name__") in _PLUMBING:
            frame = frame.f_back
        reader = frame.f_globals.get("__name__", "?") if frame is not None else "?"
        self.reads.append((str(key), str(reader)))

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def copy(self):
        return dict(self)


# --------------------------------------------------------------------------------------------------
# requests built from the route's metadata
# --------------------------------------------------------------------------------------------------


def example(spec: Any, clock: itertools.count, *, every_field: bool = False) -> Any:
    """A valid value for a ``backchannel.validation`` spec (times increase, so ends follow starts);
    an object gets its required fields, or all of them with ``every_field`` (a PATCH must change one)."""
    kind = type(spec).__name__
    if kind == "Obj":
        return {k: example(f.spec, clock) for k, f in spec.fields.items() if f.required or every_field}
    if kind == "Arr":
        return []
    if kind == "Enum":
        return spec.values[0]
    if kind == "Bool":
        return True
    if kind == "Int":
        return spec.minimum if spec.minimum is not None else 1
    if kind == "Date":
        return "2030-06-01"
    if kind == "DateTime":
        start = dt.datetime(2030, 6, 1, 9, tzinfo=dt.UTC) + dt.timedelta(hours=next(clock))
        return start.isoformat().replace("+00:00", "Z")
    if kind == "TimeZone":
        return "Europe/London"
    if kind == "Url":
        return "https://example.com/page"
    if kind == "Text":
        return "Notes on #learning from https://example.com/talk"
    if kind in ("Str", "Bytes"):
        length = max(spec.min_len, 3)
        for candidate in ("abc" * length)[:length], "Backchannel", "a1b2c3", "123456":
            if not spec.pattern or re.fullmatch(spec.pattern, candidate):
                return candidate
        raise AssertionError(f"no example for pattern {spec.pattern}: extend example()")
    raise AssertionError(f"no example for {kind}: extend example()")


def http_event(
    method: str, path: str, route_path: str, params: dict, *, claims=None, headers=None, body=None
):
    headers = {"content-type": "application/json", **(headers or {})}
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "api",
        "domainName": "api.example.com",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1"},
        "requestId": str(uuid.uuid4()),
        "routeKey": f"{method} {route_path}",
        "stage": "$default",
        "time": "01/Jun/2030:09:00:00 +0000",
        "timeEpoch": 1906966800000,
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {route_path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": context,
        "pathParameters": params or None,
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = base64.b64encode(json.dumps(body).encode()).decode()
        event["isBase64Encoded"] = True
    return event


def _ids_from_location(location: str | None, templates: list[str]) -> dict[str, str]:
    for path in templates:
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$"
        found = re.match(pattern, location or "")
        if found:
            return found.groupdict()
    return {}


# --------------------------------------------------------------------------------------------------
# the test
# --------------------------------------------------------------------------------------------------

TEMPLATE = load_template()
FUNCTIONS = [fn for fn in functions(TEMPLATE) if any(r.function == fn for r in api_routes(TEMPLATE))]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=[fn.logical_id for fn in FUNCTIONS])
def test_every_setting_a_function_uses_is_declared_for_it(fn, aws, monkeypatch):
    import importlib

    from backchannel.core import config

    spec = aws.functions[fn.logical_id]
    declared = dict(spec.environment)
    module = importlib.import_module(fn.module)
    served = {r.key: r for r in resolver_routes(load_app(fn))}
    routes = [r for r in api_routes(TEMPLATE) if r.function.logical_id == fn.logical_id]
    templates = [r.path for r in api_routes(TEMPLATE)]

    required: list[str] = []
    real_require = config.Config.require

    def require(self, name: str) -> str:
        required.append(name)
        return real_require(self, name)

    monkeypatch.setattr(config.Config, "require", require)
    environ = RecordingEnviron(
        {**LAMBDA_PROVIDED, "AWS_LAMBDA_FUNCTION_NAME": spec.function_name, **declared}
    )
    monkeypatch.setattr(os, "environ", environ)
    config.reset()
    ids: dict[str, str] = {}
    clock = itertools.count()
    failures = []
    try:
        for route in routes:
            meta = served[route.key].openapi or {}
            params = {p: ids.get(p, "01J0000000000000000000NONE") for p in route.path_params}
            path = re.sub(r"\{(\w+)\+?\}", lambda m, params=params: params[m.group(1)], route.path)
            body = None
            if meta.get("request") is not None:
                body = example(meta["request"], clock, every_field=bool(meta.get("partial")))
            headers = {"idempotency-key": str(uuid.uuid4())} if route.method == "POST" else {}
            calls = [("signed in", ORGANISER, headers)]
            if route.public:
                calls += [
                    ("anonymous", None, headers),
                    ("with a bearer token", None, {**headers, "authorization": "Bearer not.a.jwt"}),
                ]
            for who, claims, hdrs in calls:
                event = http_event(
                    route.method, path, route.path, params, claims=claims, headers=hdrs, body=body
                )
                try:
                    reply = module.lambda_handler(event, FakeContext(spec.function_name))
                except RuntimeError as err:
                    failures.append(f"{route.method} {route.path} ({who}) raised {err}")
                    continue
                status = int(reply["statusCode"])
                if status >= 500:
                    failures.append(
                        f"{route.method} {route.path} ({who}) answered {status}: {reply.get('body')}"
                    )
                if status == 201:
                    ids.update(_ids_from_location((reply.get("headers") or {}).get("Location"), templates))
    finally:
        config.reset()

    missing = sorted({name.upper() for name in required} - set(declared))
    assert not missing, f"{fn.logical_id} uses {missing}, not declared in its Environment in template.yaml"
    assert not failures, "\n".join(failures)

    readers = {(key, who) for key, who in environ.reads if who.startswith(("backchannel", "functions"))}
    stray = sorted(f"{who} reads {key}" for key, who in readers if who != "backchannel.core.config")
    assert not stray, f"only backchannel.core.config may read the environment: {stray}"

    read = {key for key, _ in environ.reads}
    # Powertools reads its POWERTOOLS_* settings when the module is first imported (maybe earlier).
    unused = sorted(k for k in declared if k not in read and not k.startswith("POWERTOOLS_"))
    assert not unused, f"{fn.logical_id} declares {unused}, which nothing reads (a typo?)"
