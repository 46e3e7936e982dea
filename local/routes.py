"""The HTTP API's route table, built from the functions' ``HttpApi`` events.

Matching follows API Gateway's rules for HTTP APIs: a request goes to the most specific route.
Paths are compared segment by segment, left to right: a literal segment beats a ``{param}``, which
beats a greedy ``{proxy+}``; among routes with the same path an exact method beats ``ANY``; the
``$default`` route catches whatever nothing else matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import unquote

from local.provision import FunctionSpec, HttpApiSpec, LocalStack

__all__ = ["Route", "RouteMatch", "RouteTable"]

_LITERAL, _PARAM, _GREEDY = 2, 1, 0


@dataclass(frozen=True)
class Route:
    """One route: ``METHOD /path`` to a function, with its authorization."""

    method: str
    path: str
    function: FunctionSpec
    api: HttpApiSpec
    authorizer: str | None  # name of the API's authorizer, None for a public route
    scopes: tuple[str, ...] = ()
    segments: tuple[str, ...] = field(default=(), compare=False)

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"

    @property
    def auth_required(self) -> bool:
        return self.authorizer is not None

    def specificity(self) -> tuple[tuple[int, ...], int, int]:
        """Sort key: higher is more specific (API Gateway's precedence)."""
        if self.path == "$default":
            return ((-1,), 0, 0)
        kinds = tuple(_segment_kind(s) for s in self.segments)
        return (kinds, len(kinds), 0 if self.method == "ANY" else 1)

    def match(self, method: str, segments: list[str]) -> dict[str, str] | None:
        """Path parameters if this route matches the request, else None."""
        if self.method not in ("ANY", method):
            return None
        if self.path == "$default":
            return {}
        params: dict[str, str] = {}
        for index, pattern in enumerate(self.segments):
            kind = _segment_kind(pattern)
            if kind == _GREEDY:
                rest = segments[index:]
                if not rest or rest == [""]:
                    return None  # {proxy+} needs at least one character
                params[pattern[1:-2]] = "/".join(rest)
                return params
            if index >= len(segments):
                return None
            if kind == _PARAM:
                if segments[index] == "":
                    return None
                params[pattern[1:-1]] = segments[index]
            elif pattern != segments[index]:
                return None
        return params if len(segments) == len(self.segments) else None


def _segment_kind(segment: str) -> int:
    if segment.startswith("{") and segment.endswith("+}"):
        return _GREEDY
    if segment.startswith("{") and segment.endswith("}"):
        return _PARAM
    return _LITERAL


def _split(path: str) -> list[str]:
    return path.strip("/").split("/") if path.strip("/") else []


class _MatchFields(NamedTuple):
    function: FunctionSpec
    route_key: str
    path_params: dict[str, str]
    auth_required: bool


class RouteMatch(_MatchFields):
    """The route a request matched: unpacks as (function, route_key, path_params, auth_required).

    ``.route`` is the whole :class:`Route` (its API, authorizer and scopes).
    """

    route: Route

    def __new__(cls, route: Route, path_params: dict[str, str]) -> RouteMatch:
        match = super().__new__(cls, route.function, route.route_key, path_params, route.auth_required)
        match.route = route
        return match


class RouteTable:
    """All routes of a stack's HTTP APIs, most specific first."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = sorted(routes, key=Route.specificity, reverse=True)

    @classmethod
    def from_stack(cls, local_stack: LocalStack) -> RouteTable:
        routes: list[Route] = []
        apis_by_id = {api.api_id: api for api in local_stack.http_apis.values()}
        for spec in local_stack.functions.values():
            for name, event in spec.events_of_type("HttpApi").items():
                props = event.get("Properties") or {}
                api_id = props.get("ApiId")
                api = apis_by_id.get(api_id) if api_id else local_stack.http_apis.get("ServerlessHttpApi")
                if api is None:
                    raise ValueError(f"{spec.logical_id}.{name}: HttpApi {api_id!r} is not in the template")
                method = str(props.get("Method", "ANY")).upper()
                path = props.get("Path", "$default")
                if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
                    method = "ANY"
                authorizer, scopes = _authorization(api, props.get("Auth") or {})
                routes.append(Route(method, path, spec, api, authorizer, tuple(scopes), tuple(_split(path))))
        return cls(routes)

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The most specific route for the request, or None (API Gateway answers 404)."""
        segments = [unquote(s) for s in _split(raw_path)]
        method = method.upper()
        for route in self.routes:
            params = route.match(method, segments)
            if params is not None:
                return RouteMatch(route, params)
        return None

    def allowed_methods(self, raw_path: str) -> set[str]:
        """Methods some route accepts on this path (for diagnostics)."""
        segments = [unquote(s) for s in _split(raw_path)]
        return {r.method for r in self.routes if r.match(r.method, segments) is not None}


def _authorization(api: HttpApiSpec, auth: dict) -> tuple[str | None, list[str]]:
    """Which authorizer guards a route: its own ``Auth.Authorizer``, else the API's default.

    ``NONE`` makes the route public, as in SAM.
    """
    name = auth.get("Authorizer", api.auth.get("DefaultAuthorizer"))
    if name in (None, "NONE"):
        return None, []
    if name not in (api.auth.get("Authorizers") or {}):
        raise ValueError(f"route uses authorizer {name!r}, which the HttpApi does not define")
    return name, list(auth.get("AuthorizationScopes") or [])
