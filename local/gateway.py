"""The local API Gateway: an HTTP server that does what an HTTP API does in front of Lambda.

For each request it: answers CORS preflights from the HttpApi's ``CorsConfiguration``; finds the
route (404 ``{"message":"Not Found"}`` when none); runs the JWT authorizer on protected routes
(401 ``{"message":"Unauthorized"}`` without invoking anything when the token is missing or bad);
builds the payload-2.0 event; invokes the function in-process; turns its result into the response
(500 ``{"message":"Internal Server Error"}`` if it raised); and adds the CORS headers.

It also serves a few local-only paths: ``/_local/health``, ``/openapi.json`` and a Swagger UI at
``/docs`` (assets from the ``swagger-ui-bundle`` package, no CDN), and lets other parts of the local
runtime mount their own WSGI apps with :meth:`Gateway.add_route` (e.g. ``/_local/mail``).
"""

from __future__ import annotations

import fnmatch
import html
import json
import logging
import mimetypes
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from local.apigw import _request_id, build_http_event, http_response
from local.jwt_authorizer import Forbidden, JwtAuthorizer, Unauthorized
from local.lambdas import FunctionRuntime
from local.provision import HttpApiSpec, LocalStack
from local.routes import RouteTable

__all__ = ["Gateway", "WsgiApp"]

log = logging.getLogger("local.gateway")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Headers = list[tuple[str, str]]

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit for HTTP APIs
_SWAGGER_ASSETS = {
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
}


def _json(status: int, payload: Any, headers: Headers | None = None) -> tuple[int, Headers, bytes]:
    body = json.dumps(payload).encode()
    return status, [("Content-Type", "application/json"), *(headers or [])], body


class Gateway:
    """An HTTP API in front of the stack's functions, on ``http://host:port`` (port 0 = any free one)."""

    def __init__(
        self,
        local_stack: LocalStack,
        runtimes: dict[str, FunctionRuntime],
        host: str = "127.0.0.1",
        port: int = 3000,
        *,
        openapi_path: str | Path | None = None,
        jwks_fetch: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        self.local_stack = local_stack
        self.runtimes = runtimes
        self.host = host
        self.port = port
        self.routes = RouteTable.from_stack(local_stack)
        self.openapi_path = (
            Path(openapi_path) if openapi_path else local_stack.template_path.parent / "openapi.json"
        )
        self._authorizers = self._build_authorizers(jwks_fetch)
        self._extra: list[tuple[str, str, WsgiApp]] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------------------------------
    # Lifecycle
    # ----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Bind and serve in a background thread (returns once the socket is listening)."""
        if self._server is not None:
            return
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # we write our own access log
        try:
            self._server = make_server(self.host, self.port, self, threaded=True)
        except SystemExit as exc:  # werkzeug exits when the port is taken
            raise OSError(f"port {self.port} is in use") from exc
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port (safe to call twice)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def add_route(self, method: str, path_prefix: str, app: WsgiApp) -> None:
        """Mount a WSGI app for requests whose path starts with ``path_prefix`` ("*" = any method).

        Mounted apps are tried before the API routes, so use a local-only prefix such as
        ``/_local/...``. The app sees the full original path in ``PATH_INFO``.
        """
        self._extra.append((method.upper(), path_prefix, app))
        self._extra.sort(key=lambda item: len(item[1]), reverse=True)

    # ----------------------------------------------------------------------------------------
    # Authorizers
    # ----------------------------------------------------------------------------------------
    def _build_authorizers(self, fetch: Callable[[str], dict[str, Any]] | None) -> dict[tuple[str, str], Any]:
        authorizers: dict[tuple[str, str], Any] = {}
        for api in self.local_stack.http_apis.values():
            for name, config in (api.auth.get("Authorizers") or {}).items():
                jwt_config = config.get("JwtConfiguration")
                if not jwt_config:
                    authorizers[(api.logical_id, name)] = None  # Lambda authorizers: not emulated
                    continue
                issuer = str(jwt_config["issuer"]).rstrip("/")
                kwargs = {"fetch": fetch} if fetch else {}
                authorizers[(api.logical_id, name)] = JwtAuthorizer(
                    issuer=issuer,
                    audiences=jwt_config.get("audience") or [],
                    jwks_url=self._jwks_url(issuer),
                    **kwargs,
                )
        return authorizers

    def _jwks_url(self, issuer: str) -> str:
        """Where the issuer's keys are: on moto for a Cognito issuer of this stack's region."""
        prefix = f"https://cognito-idp.{self.local_stack.region}.amazonaws.com/"
        endpoint = self.local_stack.endpoint_url
        if endpoint and issuer.startswith(prefix):
            return f"{endpoint.rstrip('/')}/{issuer[len(prefix) :]}/.well-known/jwks.json"
        return f"{issuer}/.well-known/jwks.json"

    # ----------------------------------------------------------------------------------------
    # WSGI
    # ----------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"].upper()
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        raw_path = raw_uri.split("?", 1)[0] or "/"
        if "://" in raw_path:  # absolute-form request target
            raw_path = "/" + raw_path.split("://", 1)[1].partition("/")[2]
        for extra_method, prefix, app in self._extra:
            if extra_method in ("*", method) and raw_path.startswith(prefix):
                return app(environ, start_response)
        started = time.monotonic()
        status, headers, body, note = self._handle(environ, method, raw_path)
        reason = _reason(status)
        headers = [*headers, ("Content-Length", str(len(body)))]
        start_response(f"{status} {reason}".rstrip(), headers)
        log.info(
            "%s %s -> %d%s (%.0f ms)",
            method,
            raw_uri,
            status,
            f" {note}" if note else "",
            (time.monotonic() - started) * 1000,
        )
        return [body] if method != "HEAD" else []

    def _handle(self, environ: dict[str, Any], method: str, raw_path: str) -> tuple[int, Headers, bytes, str]:
        request_headers = _request_headers(environ)
        origin = request_headers.get("origin")
        local = self._local_paths(method, raw_path)
        if local is not None:
            return (*local, "")
        request_id = _request_id()
        match = self.routes.match(method, raw_path)
        api = match.route.api if match else self._default_api()
        cors = api.cors if api else None
        if method == "OPTIONS" and cors and origin and "access-control-request-method" in request_headers:
            return (204, self._preflight_headers(cors, origin, request_headers), b"", "preflight")
        if match is None:
            status, headers, body = _json(404, {"message": "Not Found"})
            return status, self._finish(headers, cors, origin, request_id), body, ""
        note = f"{match.route_key} -> {match.function.logical_id}"
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY_BYTES:
            status, headers, body = _json(413, {"message": "Request Entity Too Large"})
            return status, self._finish(headers, cors, origin, request_id), body, note
        claims = None
        if match.auth_required:
            try:
                claims = self._authorize(match.route, request_headers.get("authorization"))
            except Forbidden as exc:
                status, headers, body = _json(403, {"message": "Forbidden"})
                return status, self._finish(headers, cors, origin, request_id), body, f"{note} ({exc})"
            except Unauthorized as exc:
                status, headers, body = _json(
                    401,
                    {"message": "Unauthorized"},
                    [("www-authenticate", f'Bearer error="invalid_token" error_description="{exc}"')],
                )
                return status, self._finish(headers, cors, origin, request_id), body, f"{note} ({exc})"
        payload = environ["wsgi.input"].read(length) if length else None
        event = build_http_event(
            method=method,
            path=raw_path,
            route_key=match.route_key,
            path_parameters=match.path_params,
            query_string=environ.get("QUERY_STRING", ""),
            headers=_request_header_pairs(environ),
            body=payload,
            claims=claims,
            scopes=list(match.route.scopes) or None,
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
            api_id=match.route.api.api_id,
            domain_name=request_headers.get("host"),
            account_id=self.local_stack.stack.account_id,
            request_id=request_id,
        )
        runtime = self.runtimes[match.function.logical_id]
        try:
            status, headers, body = http_response(runtime.invoke(event))
        except Exception:
            log.error("%s failed:\n%s", match.function.logical_id, traceback.format_exc())
            status, headers, body = _json(500, {"message": "Internal Server Error"})
        return status, self._finish(headers, cors, origin, request_id), body, note

    def _authorize(self, route: Any, authorization: str | None) -> dict[str, str]:
        authorizer = self._authorizers.get((route.api.logical_id, route.authorizer))
        if authorizer is None:
            raise Unauthorized(f"authorizer {route.authorizer} is not a JWT authorizer (not emulated)")
        return authorizer.authorize(authorization, route.scopes)

    def _default_api(self) -> HttpApiSpec | None:
        return next(iter(self.local_stack.http_apis.values()), None)

    # ----------------------------------------------------------------------------------------
    # CORS, as API Gateway applies the HttpApi's CorsConfiguration
    # ----------------------------------------------------------------------------------------
    @staticmethod
    def _allowed_origin(cors: dict[str, Any], origin: str) -> str | None:
        for allowed in cors.get("AllowOrigins") or []:
            if allowed == "*":
                return origin if cors.get("AllowCredentials") else "*"
            if allowed == origin or ("*" in allowed and fnmatch.fnmatchcase(origin, allowed)):
                return origin
        return None

    def _preflight_headers(
        self, cors: dict[str, Any], origin: str, request_headers: dict[str, str]
    ) -> Headers:
        allow_origin = self._allowed_origin(cors, origin)
        if allow_origin is None:
            return []
        methods = cors.get("AllowMethods") or []
        allow_headers = cors.get("AllowHeaders") or []
        requested = request_headers.get("access-control-request-headers", "")
        headers: Headers = [("Access-Control-Allow-Origin", allow_origin)]
        headers.append(("Access-Control-Allow-Methods", ",".join(methods)))
        if allow_headers:
            value = requested if "*" in allow_headers and requested else ",".join(allow_headers)
            headers.append(("Access-Control-Allow-Headers", value))
        if cors.get("MaxAge") is not None:
            headers.append(("Access-Control-Max-Age", str(cors["MaxAge"])))
        if cors.get("AllowCredentials"):
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if allow_origin != "*":
            headers.append(("Vary", "Origin"))
        return headers

    def _finish(
        self, headers: Headers, cors: dict[str, Any] | None, origin: str | None, request_id: str
    ) -> Headers:
        """Add API Gateway's own headers; with CORS configured, its CORS headers replace the function's."""
        if cors:
            headers = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            allow_origin = self._allowed_origin(cors, origin) if origin else None
            if allow_origin:
                headers.append(("Access-Control-Allow-Origin", allow_origin))
                if cors.get("ExposeHeaders"):
                    headers.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
                if cors.get("AllowCredentials"):
                    headers.append(("Access-Control-Allow-Credentials", "true"))
                if allow_origin != "*":
                    headers.append(("Vary", "Origin"))
        headers.append(("apigw-requestid", request_id))
        return headers

    # ----------------------------------------------------------------------------------------
    # Local-only paths: health, OpenAPI document, Swagger UI
    # ----------------------------------------------------------------------------------------
    def _local_paths(self, method: str, path: str) -> tuple[int, Headers, bytes] | None:
        if method not in ("GET", "HEAD"):
            return None
        if path == "/_local/health":
            return _json(
                200,
                {
                    "status": "ok",
                    "apiUrl": self.url,
                    "awsEndpoint": self.local_stack.endpoint_url,
                    "region": self.local_stack.region,
                    "functions": sorted(self.runtimes),
                    "routes": [r.route_key for r in self.routes.routes],
                },
            )
        if path == "/":  # the page for remote members lives under /web/ (it can't shadow API paths)
            return 302, [("Location", "/web/"), ("Content-Length", "0")], b""
        if path == "/openapi.json":
            return self._openapi()
        if path in ("/docs", "/docs/"):
            return self._docs_page()
        if path.startswith("/docs/"):
            return self._docs_asset(path.removeprefix("/docs/"))
        return None

    def _openapi_document(self) -> dict[str, Any] | None:
        if not self.openapi_path.is_file():
            return None
        document = json.loads(self.openapi_path.read_text(encoding="utf-8"))
        # "Try it out" should call this gateway, so the local server goes first.
        servers = [s for s in document.get("servers") or [] if s.get("url") != self.url]
        document["servers"] = [{"url": self.url, "description": "local (make run)"}, *servers]
        return document

    def _openapi(self) -> tuple[int, Headers, bytes]:
        try:
            document = self._openapi_document()
        except (OSError, ValueError) as exc:
            return _json(500, {"message": f"{self.openapi_path.name} is not valid JSON: {exc}"})
        if document is None:
            return _json(
                404, {"message": f"{self.openapi_path.name} not found: generate it with `make openapi`"}
            )
        return _json(200, document)

    def _docs_page(self) -> tuple[int, Headers, bytes]:
        page = _SWAGGER_PAGE if _swagger_dir() is not None else self._operations_page()
        return 200, [("Content-Type", "text/html; charset=utf-8")], page.encode()

    def _operations_page(self) -> str:
        """Without the Swagger UI assets: a plain list of the API's operations."""
        try:
            document = self._openapi_document() or {}
        except (OSError, ValueError):
            document = {}
        rows = []
        for path, operations in (document.get("paths") or {}).items():
            for verb, op in operations.items():
                if isinstance(op, dict):
                    rows.append(
                        f"<tr><td><code>{html.escape(verb.upper())}</code></td><td><code>{html.escape(path)}</code>"
                        f"</td><td>{html.escape(str(op.get('summary', '')))}</td></tr>"
                    )
        if not rows:
            rows = [f"<tr><td colspan=3>{html.escape(r.route_key)}</td></tr>" for r in self.routes.routes]
        title = html.escape(str((document.get("info") or {}).get("title", "API")))
        return (
            f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title></head><body>"
            f"<h1>{title}</h1><p><a href='/openapi.json'>openapi.json</a></p>"
            f"<table>{''.join(rows)}</table></body></html>"
        )

    def _docs_asset(self, name: str) -> tuple[int, Headers, bytes]:
        folder = _swagger_dir()
        if folder is None or name not in _SWAGGER_ASSETS:
            return _json(404, {"message": "Not Found"})
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return (
            200,
            [("Content-Type", content_type), ("Cache-Control", "max-age=3600")],
            (folder / name).read_bytes(),
        )


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _swagger_dir() -> Path | None:
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    folder = Path(str(swagger_ui_bundle.swagger_ui_path))
    return folder if folder.is_dir() else None


def _request_header_pairs(environ: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            pairs.append((key[5:].replace("_", "-").lower(), value))
    if environ.get("CONTENT_TYPE"):
        pairs.append(("content-type", environ["CONTENT_TYPE"]))
    if environ.get("CONTENT_LENGTH"):
        pairs.append(("content-length", environ["CONTENT_LENGTH"]))
    return pairs


def _request_headers(environ: dict[str, Any]) -> dict[str, str]:
    return dict(_request_header_pairs(environ))


_SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Backchannel API (local)</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js" charset="utf-8"></script>
  <script src="/docs/swagger-ui-standalone-preset.js" charset="utf-8"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    });
  </script>
</body>
</html>
"""
