"""The page for remote members (``web/``), served by the local gateway.

    GET /web/               web/index.html (and /web/app.js, /web/style.css ...)
    GET /config.json        {"ApiUrl", "WebSocketUrl"?, "UserPoolId", "UserPoolClientId",
                             "CognitoEndpoint"} from the running stack's outputs
    GET /web/config.json    the same, next to the page (where a deployment puts it)

The page lives under ``/web/`` because the gateway's mounted apps match by path prefix and are tried
before the API routes: a mount at ``/`` would take every API path (and ``/web`` would take a future
``/webhooks``). Nothing of the API starts with ``/web/`` or ``/config.json``. A deployed page reads the ``config.json`` written next to it in the
bucket (``make web-config``).

Only what a browser needs goes into ``config.json``: the API's URL and, when it points somewhere
this machine can reach (not a remote ``execute-api`` host), the WebSocket's.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from local.template import load_template

if TYPE_CHECKING:
    from local.gateway import Gateway

__all__ = ["CONFIG_PATH", "PREFIX", "WebApp", "mount_web", "public_config", "security_headers"]

PREFIX = "/web/"
CONFIG_PATH = "/config.json"
WEB_DIR = Path(__file__).resolve().parents[1] / "web"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


@functools.cache
def _policy(template_path: Path = TEMPLATE) -> dict[str, Any]:
    """The SecurityHeadersConfig of the template's response-headers policy for the page."""
    policies = [
        r["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
        for r in (load_template(template_path).get("Resources") or {}).values()
        if r.get("Type") == "AWS::CloudFront::ResponseHeadersPolicy"
    ]
    return policies[0] if policies else {}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def security_headers(config: Mapping[str, str], template_path: Path = TEMPLATE) -> list[tuple[str, str]]:
    """The headers CloudFront adds to the page (the template's ResponseHeadersPolicy), so the local page
    runs under the same ones; only connect-src names the local API and WebSocket of ``config`` instead
    of the region's execute-api hosts."""
    policy = _policy(template_path)
    headers: list[tuple[str, str]] = []
    csp = (policy.get("ContentSecurityPolicy") or {}).get("ContentSecurityPolicy")
    if isinstance(csp, dict):  # !Sub "...${AWS::Region}..."
        csp = csp.get("Fn::Sub")
    if isinstance(csp, str):
        origins = dict.fromkeys(["'self'", *(_origin(v) for v in config.values() if _origin(v))])
        headers.append(
            ("Content-Security-Policy", re.sub(r"connect-src [^;]*", "connect-src " + " ".join(origins), csp))
        )
    if hsts := policy.get("StrictTransportSecurity"):
        value = f"max-age={hsts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
        value += "; preload" if hsts.get("Preload") else ""
        headers.append(("Strict-Transport-Security", value))
    if "ContentTypeOptions" in policy:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if referrer := (policy.get("ReferrerPolicy") or {}).get("ReferrerPolicy"):
        headers.append(("Referrer-Policy", referrer))
    if frame := (policy.get("FrameOptions") or {}).get("FrameOption"):
        headers.append(("X-Frame-Options", frame))
    return headers


def public_config(outputs: Mapping[str, str]) -> dict[str, str]:
    """What the page is told about the stack: ``ApiUrl``, a reachable ``WebSocketUrl``, and where and
    how it signs members in (``UserPoolId``, ``UserPoolClientId``, ``CognitoEndpoint``: the local
    pool's front on the gateway, else the region's Cognito, whose region starts the pool's id)."""
    config = {"ApiUrl": str(outputs.get("ApiUrl") or "").rstrip("/")}
    websocket = str(outputs.get("WebSocketUrl") or "")
    if websocket and ".execute-api." not in websocket:
        config["WebSocketUrl"] = websocket
    pool_id, client_id = str(outputs.get("UserPoolId") or ""), str(outputs.get("UserPoolClientId") or "")
    if pool_id and client_id:
        region = pool_id.split("_", 1)[0]
        endpoint = outputs.get("CognitoEndpoint") or f"https://cognito-idp.{region}.amazonaws.com/"
        config.update(UserPoolId=pool_id, UserPoolClientId=client_id, CognitoEndpoint=str(endpoint))
    return config


class WebApp:
    """Serves ``web/`` under :data:`PREFIX` and ``config.json`` from the outputs (read per request)."""

    def __init__(self, outputs: Callable[[], Mapping[str, str]], web_dir: str | Path = WEB_DIR) -> None:
        self.outputs = outputs
        self.web_dir = Path(web_dir).resolve()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = (environ.get("REQUEST_METHOD") or "GET").upper()
        path = environ.get("PATH_INFO") or "/"
        config = public_config(self.outputs())
        send = functools.partial(_send, start_response, security=security_headers(config))
        if method not in ("GET", "HEAD"):
            return send("405 Method Not Allowed", b"", "text/plain", method, [("Allow", "GET, HEAD")])
        if path in (CONFIG_PATH, PREFIX + CONFIG_PATH.lstrip("/")):
            return send("200 OK", json.dumps(config, indent=2).encode(), "application/json", method)
        if not path.startswith(PREFIX):
            return send("404 Not Found", b"Not Found", "text/plain", method)
        relative = path[len(PREFIX) :] or "index.html"
        file = self._file(relative)
        if file is None:
            return send("404 Not Found", b"Not Found", "text/plain; charset=utf-8", method)
        content_type = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
        return send("200 OK", file.read_bytes(), content_type, method)

    def _file(self, relative: str) -> Path | None:
        """The file under ``web/`` for a request path, or None (never outside the folder)."""
        if "\\" in relative or "\x00" in relative:
            return None
        candidate = (self.web_dir / relative).resolve()
        if not candidate.is_relative_to(self.web_dir):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None


def mount_web(
    gateway: Gateway, outputs: Callable[[], Mapping[str, str]], web_dir: str | Path = WEB_DIR
) -> WebApp:
    """Serve the page on the gateway: ``/web/`` (the page, its files) and ``/config.json``."""
    app = WebApp(outputs, web_dir)
    gateway.add_route("GET", PREFIX, app)
    gateway.add_route("HEAD", PREFIX, app)
    gateway.add_route("GET", CONFIG_PATH, app)
    gateway.add_route("HEAD", CONFIG_PATH, app)
    return app


def _send(
    start_response: Callable[..., Any],
    status: str,
    body: bytes,
    content_type: str,
    method: str,
    extra: list[tuple[str, str]] | None = None,
    *,
    security: list[tuple[str, str]],
) -> list[bytes]:
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-cache"),
        *security,
        *(extra or []),
    ]
    start_response(status, headers)
    return [] if method == "HEAD" else [body]
