"""Build the OpenAPI 3.1 document from template.yaml and the routes' ``__openapi__`` metadata."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from backchannel_openapi.components import (
    gateway_message_schema,
    problem_schema,
    rate_limited_schema,
    ref,
)
from backchannel_openapi.routes import (
    ROOT,
    TEMPLATE,
    api_routes,
    ensure_import_paths,
    load_app,
    load_template,
    resolver_routes,
)

OPENAPI_VERSION = "3.1.0"
PROBLEM = "application/problem+json"
JSON = "application/json"
BEARER = "bearerAuth"

# Why each status appears, in the words of the API's own errors (backchannel.errors, backchannel.http).
STATUS_TEXT = {
    400: "Bad request: the body or a header is malformed (not JSON, not UTF-8, no body, a bad Idempotency-Key)",
    401: (
        "Unauthorized: no bearer token, or an invalid one. On a protected route API Gateway's JWT "
        'authorizer answers before the function, with its own body {"message": "Unauthorized"} '
        "(application/json); on a public route the function refuses an invalid token with a problem"
    ),
    403: "Forbidden: the caller may not do this",
    404: "Not found: no such object, or one the caller may not see",
    409: "Conflict: a uniqueness or version conflict, or a request with this Idempotency-Key is in progress",
    412: "Precondition failed",
    413: "Payload too large: the body exceeds 256 KiB",
    415: "Unsupported media type: send the body as application/json",
    422: "Validation failed: `errors` lists every field at fault",
    500: "Internal error",
}
BODY_ERRORS = (400, 413, 415, 422)
# Statuses that API Gateway itself may answer, with its own body {"message": "..."} (application/json).
GATEWAY_ANSWERS = (401,)
REPLAY_TEXT = (
    "Replayed: this request was made before (the same client id, or a second vote or publication), so "
    "nothing new is made; the body is what the first request made"
)
ACCEPTED_TEXT = (
    "Accepted: handed to a worker, not finished yet; the body is its state now (status queued), and "
    "GET at the Location shows it running and then finished"
)

IDEMPOTENCY_TEXT = (
    "Makes the POST safe to retry. The first request with a key (per caller and route) runs and its "
    "response is stored for 24 hours; a retry with the same key and the same body gets that first "
    "response again without running twice; the same key with a different body gets 422 "
    "(Idempotency key reused); while the first request is still running, a retry gets 409 (Request in "
    "progress). 5xx responses are not stored, so a retry after one runs again. 1 to 255 characters; a "
    "random UUID per user action is a good key."
)


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


class _Builder:
    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {
            "Problem": problem_schema(),
            "GatewayMessage": gateway_message_schema(),
        }
        self.statuses: set[int] = set()
        self.operation_ids: dict[str, str] = {}

    def schema_ref(self, obj: Any, *, partial: bool = False) -> dict[str, str]:
        """Register ``obj`` (a ``backchannel.validation.Obj``) under its name and return a $ref."""
        schema = obj.schema()  # nested objects stay inline: Obj.schema() expands them
        if partial:
            schema.pop("required", None)
            schema["minProperties"] = 1
        name = obj.name
        if name in self.schemas and self.schemas[name] != schema:
            raise ValueError(f"two different schemas are both named {name!r}: give one another name")
        self.schemas[name] = schema
        return ref("schemas", name)

    def page_ref(self, obj: Any, *, polled: bool = False) -> dict[str, str]:
        """A page of ``obj`` items; ``polled``: a feed's page, which also says where to poll from."""
        item = self.schema_ref(obj)
        name = f"{obj.name}{'Feed' if polled else 'Page'}"
        page: dict[str, Any] = {
            "type": "object",
            "description": f"A page of {obj.name} items; pass nextCursor as cursor for the next page.",
            "required": ["items", "nextCursor"],
            "properties": {
                "items": {"type": "array", "items": item},
                "nextCursor": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "description": "null on the last page",
                },
            },
            "additionalProperties": False,
        }
        if polled:
            page["description"] += " Pass sinceCursor as since to poll for what arrived after it."
            page["required"].append("sinceCursor")
            page["properties"]["sinceCursor"] = {
                "type": "string",
                "description": "where this page's newest item stands: pass it as since to poll",
            }
        self.schemas[name] = page
        return ref("schemas", name)

    def problem(self, status: int) -> dict[str, str]:
        self.statuses.add(status)
        return ref("responses", f"Problem{status}")

    def rate_limited(self, name: str, *, own: bool = False) -> dict[str, Any]:
        """The 429 of a route that counts against the caller's ``name`` limit (``core.limits``);
        ``own``: the route has a 429 of its own too (a plain problem, without the limit's fields)."""
        from backchannel.core.limits import DEFAULTS

        self.schemas["RateLimited"] = rate_limited_schema()
        rates = " and ".join(str(limit) for limit in DEFAULTS[name])
        text = (
            f"Too many requests: the caller reached their `{name}` limit ({rates} by default; "
            "a deployment may set others). The problem names the limit; retry after Retry-After."
        )
        if own:
            text += " The route also has a cap of its own, answered as a plain problem without those fields."
        schema = ref("schemas", "Problem" if own else "RateLimited")
        return {
            "description": text,
            "headers": {
                "Retry-After": {
                    "description": "seconds until the window that refused ends",
                    "schema": {"type": "integer", "minimum": 1},
                }
            },
            "content": {PROBLEM: {"schema": schema}},
        }

    def operation(self, api_route: Any, meta: dict[str, Any], func_name: str) -> dict[str, Any]:
        op_id = _camel(func_name)
        where = f"{api_route.method} {api_route.path}"
        if op_id in self.operation_ids:
            raise ValueError(f"operationId {op_id} of {where} is also {self.operation_ids[op_id]}")
        self.operation_ids[op_id] = where

        op: dict[str, Any] = {
            "operationId": op_id,
            "summary": meta["summary"],
            "tags": [api_route.function.tag],
        }
        declared = meta.get("path") or {}  # a path parameter's spec, where the route declares one
        params: list[dict[str, Any]] = [
            {"name": p, "in": "path", "required": True, "schema": _path_schema(declared.get(p))}
            for p in api_route.path_params
        ]
        if meta.get("paginated"):
            params += [ref("parameters", "limit"), ref("parameters", "cursor")]
        if meta.get("polled"):
            params.append(ref("parameters", "since"))
        if api_route.method == "POST":
            params.append(ref("parameters", "IdempotencyKey"))
        if params:
            op["parameters"] = params

        errors: set[int] = set(meta.get("errors") or ())
        errors.add(401)  # protected: no/invalid token; public: an invalid optional token
        request = meta.get("request")
        if request is not None:
            partial = bool(meta.get("partial"))
            op["requestBody"] = {
                "required": partial or any(f.required for f in request.fields.values()),
                "content": {JSON: {"schema": self.schema_ref(request, partial=partial)}},
            }
            errors.update(BODY_ERRORS)
        if meta.get("paginated"):
            errors.update((400, 422))  # a cursor (or since) not of this list; a bad limit
        if api_route.method == "POST":
            errors.update((400, 409, 422))  # a bad Idempotency-Key, one in progress, one reused

        status = int(meta.get("status", 200))
        success: dict[str, Any] = {"description": _success_text(status)}
        response = meta.get("response")
        if response is not None and status != 204:
            schema = (
                self.page_ref(response, polled=bool(meta.get("polled")))
                if meta.get("paginated")
                else self.schema_ref(response)
            )
            success["content"] = {JSON: {"schema": schema}}
        if status == 201:
            success["headers"] = {
                "Location": {"description": "where the new resource is", "schema": {"type": "string"}}
            }
        responses: dict[str, Any] = {str(status): success}
        if meta.get("accepted"):
            responses["202"] = {
                "description": ACCEPTED_TEXT,
                **({"content": success["content"]} if "content" in success else {}),
                "headers": {"Location": {"description": "where to poll it", "schema": {"type": "string"}}},
            }
        if meta.get("replay"):
            responses["200"] = {
                "description": REPLAY_TEXT,
                **({"content": success["content"]} if "content" in success else {}),
            }
        for code in sorted(errors):
            responses[str(code)] = self.problem(code)
        if meta.get("limit"):
            responses["429"] = self.rate_limited(meta["limit"], own=429 in errors)
        op["responses"] = responses

        if api_route.public:
            # Anyone may call; a signed-in caller's bearer token is verified and may see more.
            op["security"] = [{}, {BEARER: []}]
        else:
            op["security"] = [{BEARER: []}]
        return op

    def components(self) -> dict[str, Any]:
        from backchannel.core import schemas

        return {
            "schemas": self.schemas,
            "responses": {
                f"Problem{code}": {
                    "description": STATUS_TEXT.get(code, f"HTTP {code}"),
                    "content": {
                        PROBLEM: {"schema": ref("schemas", "Problem")},
                        **(
                            {JSON: {"schema": ref("schemas", "GatewayMessage")}}
                            if code in GATEWAY_ANSWERS
                            else {}
                        ),
                    },
                }
                for code in sorted(self.statuses)
            },
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": IDEMPOTENCY_TEXT,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                },
                **{
                    name: {
                        "name": name,
                        "in": "query",
                        "required": False,
                        "description": spec.description,
                        "schema": {k: v for k, v in spec.schema().items() if k != "description"},
                    }
                    for name, spec in {**schemas.PAGE_QUERY, **schemas.FEED_QUERY}.items()
                },
            },
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "A Cognito user pool token (id or access token) of the stack's app client, "
                        "checked by API Gateway's JWT authorizer on protected routes."
                    ),
                }
            },
        }


def _path_schema(spec: Any) -> dict[str, Any]:
    return spec.schema() if spec is not None else {"type": "string", "minLength": 1}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _success_text(status: int) -> str:
    return {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}.get(status, f"HTTP {status}")


def build_document(template_path: str | Path = TEMPLATE) -> dict[str, Any]:
    """The OpenAPI document; raises when a template route has no resolver route or no metadata."""
    ensure_import_paths()
    template = load_template(template_path)
    builder = _Builder()
    paths: dict[str, dict[str, Any]] = {}
    apps: dict[str, dict[tuple[str, str], Any]] = {}
    for api_route in api_routes(template):
        fn = api_route.function
        if fn.logical_id not in apps:
            apps[fn.logical_id] = {r.key: r for r in resolver_routes(load_app(fn))}
        route = apps[fn.logical_id].get(api_route.key)
        where = f"{api_route.method} {api_route.path} ({fn.logical_id})"
        if route is None:
            raise LookupError(f"{where} is in template.yaml but not in {fn.module}'s resolver")
        if route.openapi is None:
            raise LookupError(
                f"{where}: register {route.func.__name__} with @app.get/post/... of backchannel.core.routes"
            )
        paths.setdefault(api_route.path, {})[api_route.method.lower()] = builder.operation(
            api_route, route.openapi, route.func.__name__
        )
    tags = sorted({r.function.tag: r.function for r in api_routes(template)}.items())
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Backchannel API",
            "version": project_version(),
            "description": str(template.get("Description", "")).strip(),
        },
        "tags": [
            {"name": name, "description": str(fn.properties.get("Description", "")).strip()}
            for name, fn in tags
        ],
        "paths": paths,
        "components": builder.components(),
    }


def render(template_path: str | Path = TEMPLATE) -> str:
    """The document as deterministic JSON (sorted keys, two-space indent, final newline)."""
    return json.dumps(build_document(template_path), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
