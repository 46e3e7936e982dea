"""Where the routes are: the template's HttpApi events and the functions' Powertools resolvers.

Shared by the generator and the template contract tests (``tests/template``), so both read routes the
same way: template paths are ``/events/{eventId}``, Powertools rules ``/events/<eventId>``; here both
use the template's spelling.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAYER_DIRS = (ROOT / "layers" / "backchannel",)
TEMPLATE = ROOT / "template.yaml"
SAM_FUNCTION = "AWS::Serverless::Function"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def ensure_import_paths() -> None:
    """The repository root (``functions.<name>.app``, ``local``) and the layer (``backchannel``)."""
    for path in (ROOT, *LAYER_DIRS):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def load_template(path: str | Path = TEMPLATE) -> dict[str, Any]:
    """The template with CloudFormation's short-form tags kept as long-form intrinsics."""
    ensure_import_paths()
    from local.template import load_template as _load

    return _load(path)


@dataclass(frozen=True)
class Function:
    """An ``AWS::Serverless::Function`` of the template, with its Globals applied where it matters."""

    logical_id: str
    properties: dict[str, Any]
    code_dir: Path

    @property
    def module(self) -> str:
        """The handler module as the tests import it, e.g. ``functions.events_api.app``."""
        handler_module = str(self.properties.get("Handler", "app.lambda_handler")).rsplit(".", 1)[0]
        relative = self.code_dir.relative_to(ROOT)
        return ".".join((*relative.parts, handler_module))

    @property
    def tag(self) -> str:
        return self.code_dir.name.replace("_", "-")


def functions(template: dict[str, Any]) -> list[Function]:
    out = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != SAM_FUNCTION:
            continue
        props = resource.get("Properties") or {}
        code_uri = props.get("CodeUri") or (template.get("Globals", {}).get("Function", {}) or {}).get(
            "CodeUri"
        )
        if not isinstance(code_uri, str):
            continue  # an inline or S3 function: no local code to read
        out.append(Function(logical_id, props, (ROOT / code_uri).resolve()))
    return out


@dataclass(frozen=True)
class ApiRoute:
    """One ``HttpApi`` event of a function."""

    function: Function
    event_name: str
    method: str
    path: str
    public: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{([^}+]+)\+?\}", self.path)


def _default_authorizer(template: dict[str, Any], api_id: Any) -> str | None:
    if isinstance(api_id, dict) and "Ref" in api_id:
        api = template.get("Resources", {}).get(api_id["Ref"], {})
        auth = (api.get("Properties") or {}).get("Auth") or {}
    else:  # SAM's implicit API takes its settings from Globals
        auth = ((template.get("Globals") or {}).get("HttpApi") or {}).get("Auth") or {}
    return auth.get("DefaultAuthorizer")


def api_routes(template: dict[str, Any]) -> list[ApiRoute]:
    """Every HttpApi event of every function, in template order."""
    out = []
    for fn in functions(template):
        for name, event in (fn.properties.get("Events") or {}).items():
            if event.get("Type") != "HttpApi":
                continue
            props = event.get("Properties") or {}
            authorizer = (props.get("Auth") or {}).get("Authorizer") or _default_authorizer(
                template, props.get("ApiId")
            )
            out.append(
                ApiRoute(
                    function=fn,
                    event_name=name,
                    method=str(props.get("Method", "ANY")).upper(),
                    path=str(props.get("Path", "$default")),
                    public=authorizer in (None, "NONE"),
                )
            )
    return out


@dataclass(frozen=True)
class ResolverRoute:
    """One route registered on a function's Powertools resolver."""

    method: str
    path: str
    func: Callable[..., Any]

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def openapi(self) -> dict[str, Any] | None:
        """What ``backchannel.core.routes.operation`` recorded for the route, if anything."""
        return getattr(self.func, "__openapi__", None)


def load_app(fn: Function) -> Any:
    """The function's resolver (its module's ``app``)."""
    ensure_import_paths()
    return importlib.import_module(fn.module).app


def resolver_routes(app: Any) -> list[ResolverRoute]:
    """The routes of an ``APIGatewayHttpResolver`` (Powertools keeps them in two lists by kind)."""
    registered = [*getattr(app, "_static_routes", []), *getattr(app, "_dynamic_routes", [])]
    if not registered and getattr(app, "_routes", None):  # a Router: {(rule, methods, ...): func}
        raise TypeError("pass the resolver, not a Router: include_router() registers its routes")
    return [
        ResolverRoute(str(r.method).upper(), re.sub(r"<(\w+)>", r"{\1}", r.path), r.func) for r in registered
    ]
