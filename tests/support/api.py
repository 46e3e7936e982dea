"""An in-process API client for integration tests: routes like the HTTP API (from template.yaml), builds
payload-2.0 events, applies each function's own environment, and calls the real handler."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from local.apigw import build_http_event, http_response
from local.jwt_authorizer import JwtAuthorizer, Unauthorized
from local.lambdas import running
from local.provision import LocalStack
from local.routes import RouteTable


@dataclass(frozen=True)
class User:
    """A member of the stack's user pool, signed in: ``token`` is the access token Cognito issued."""

    sub: str
    username: str
    token: str

    @property
    def authorization(self) -> str:
        return f"Bearer {self.token}"


def moto_jwks(_url: str) -> dict:
    """The public keys moto's Cognito signs with (what its JWKS endpoint serves)."""
    from moto.utilities.utils import load_resource

    return load_resource("cognitoidp/resources/jwks-public.json")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    event: dict = field(repr=False, default_factory=dict)

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body[:300]!r})"


class FakeContext:
    def __init__(self, name: str) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


class ApiClient:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.routes = RouteTable.from_stack(stack)
        self.invocations: list[tuple[str, dict]] = []
        self._last_env: dict[str, str] | None = None
        self.cognito = stack.client("cognito-idp")
        self.pool_id = stack.outputs["UserPoolId"]
        self.client_id = stack.outputs["UserPoolClientId"]
        self.authorizer = JwtAuthorizer(
            issuer=stack.outputs["UserPoolIssuer"],
            audiences=[self.client_id],
            jwks_url="moto",
            fetch=moto_jwks,
        )

    def user(self, name: str, *, organiser: bool = False) -> User:
        """Create a member in the user pool (optionally in ``organisers``) and sign them in."""
        password = "Passw0rd-for-tests"
        self.cognito.admin_create_user(UserPoolId=self.pool_id, Username=name, MessageAction="SUPPRESS")
        self.cognito.admin_set_user_password(
            UserPoolId=self.pool_id, Username=name, Password=password, Permanent=True
        )
        if organiser:
            self.cognito.admin_add_user_to_group(
                UserPoolId=self.pool_id, Username=name, GroupName="organisers"
            )
        auth = self.cognito.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )["AuthenticationResult"]
        sub = self.authorizer.verify(auth["AccessToken"])["sub"]
        return User(sub=sub, username=name, token=auth["AccessToken"])

    def close(self) -> None:
        from backchannel.core import config

        config.reset()

    @contextlib.contextmanager
    def _environment(self, env: dict[str, str]):
        from backchannel.core import config

        saved = dict(os.environ)
        os.environ.update(env)
        os.environ["AWS_LAMBDA_FUNCTION_NAME"] = env.get("POWERTOOLS_SERVICE_NAME", "function")
        if env != self._last_env:  # a warm container keeps its clients; another function does not
            config.reset()
            self._last_env = dict(env)
        if env.get("JWT_ISSUER"):
            from backchannel.core import auth

            auth.verifier()._fetch = moto_jwks  # the function fetches the same keys from Cognito's endpoint
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def request(
        self,
        method: str,
        path: str,
        *,
        as_: User | None = None,
        json_body: Any = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        skip_authorizer: bool = False,
    ) -> Reply:
        """One request. Without ``as_`` on a protected route API Gateway answers 401 itself;
        ``skip_authorizer`` hands such a request to the function anyway, to test its own defence."""
        match = self.routes.match(method, path.split("?")[0])
        if match is None:
            return Reply(404, {}, b'{"message":"Not Found"}')
        hdrs = {"content-type": "application/json", **(headers or {})}
        if as_ is not None:
            hdrs.setdefault("authorization", as_.authorization)
        if json_body is not None:
            body = json.dumps(json_body)
        claims = None
        if match.auth_required and not skip_authorizer:
            try:  # as API Gateway's JWT authorizer: 401 without invoking the function
                claims = self.authorizer.authorize(hdrs.get("authorization"))
            except Unauthorized:
                return Reply(401, {}, b'{"message":"Unauthorized"}')
        event = build_http_event(
            method=method,
            path=path,
            route_key=match.route_key,
            path_parameters=match.path_params,
            query_string=urlencode(query or {}),
            headers=hdrs,
            body=body,
            claims=claims,
        )
        status, header_pairs, payload = http_response(self.invoke(match.function.logical_id, event))
        return Reply(status, {k.lower(): v for k, v in header_pairs}, payload, event)

    def invoke(self, logical_id: str, event: dict) -> Any:
        """Invoke a function's handler with ``event``, in its own environment, as Lambda would."""
        spec = self.stack.functions[logical_id]
        module = importlib.import_module(f"functions.{spec.code_uri.name}.app")
        caller, running.function = getattr(running, "function", None), logical_id
        try:
            with self._environment(spec.environment):
                result = getattr(module, spec.handler.split(".")[-1])(event, FakeContext(spec.function_name))
        finally:
            running.function = caller
        self.invocations.append((spec.logical_id, event))
        return result

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, json_body=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Reply:
        return self.request("PATCH", path, json_body=json, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)
