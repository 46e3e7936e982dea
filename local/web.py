"""The page for remote members (``web/``), served by the local gateway.

    GET /web/               web/index.html (and /web/app.js, /web/style.css ...)
    GET /config.json        {"ApiUrl", "WebSocketUrl"?} from the running stack's outputs
    GET /web/config.json    the same, next to the page (where a deployment puts it)

The page lives under ``/web/`` because the gateway's mounted apps match by path prefix and are tried
before the API routes: a mount at ``/`` would take every API path (and ``/web`` would take a future
``/webhooks``). Nothing of the API starts with ``/web/`` or ``/config.json``. A deployed page reads the ``config.json`` written next to it in the
bucket (``make web-config``).

Only what a browser needs goes into ``config.json``: the API's URL and, when it points somewhere
this machine can reach (not a remote ``execute-api`` host), the WebSocket's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.gateway import Gateway

__all__ = ["CONFIG_PATH", "PREFIX", "WebApp", "mount_web", "public_config"]

PREFIX = "/web/"
CONFIG_PATH = "/config.json"
WEB_DIR = Path(__file__).resolve().parents[1] / "web"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
# The page loads only its own files; it talks to the API and the WebSocket wherever config.json says.
CSP = (
    "default-src 'self'; connect-src 'self' http: https: ws: wss:; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", CSP),
]


def public_config(outputs: Mapping[str, str]) -> dict[str, str]:
    """What the page is told about the stack: ``ApiUrl`` and a reachable ``WebSocketUrl``."""
    config = {"ApiUrl": str(outputs.get("ApiUrl") or "").rstrip("/")}
    websocket = str(outputs.get("WebSocketUrl") or "")
    if websocket and ".execute-api." not in websocket:
        config["WebSocketUrl"] = websocket
    return config


class WebApp:
    """Serves ``web/`` under :data:`PREFIX` and ``config.json`` from the outputs (read per request)."""

    def __init__(self, outputs: Callable[[], Mapping[str, str]], web_dir: str | Path = WEB_DIR) -> None:
        self.outputs = outputs
        self.web_dir = Path(web_dir).resolve()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = (environ.get("REQUEST_METHOD") or "GET").upper()
        path = environ.get("PATH_INFO") or "/"
        if method not in ("GET", "HEAD"):
            return _send(
                start_response, "405 Method Not Allowed", b"", "text/plain", method, [("Allow", "GET, HEAD")]
            )
        if path in (CONFIG_PATH, PREFIX + CONFIG_PATH.lstrip("/")):
            body = json.dumps(public_config(self.outputs()), indent=2).encode()
            return _send(start_response, "200 OK", body, "application/json", method)
        if not path.startswith(PREFIX):
            return _send(start_response, "404 Not Found", b"Not Found", "text/plain", method)
        relative = path[len(PREFIX) :] or "index.html"
        file = self._file(relative)
        if file is None:
            return _send(start_response, "404 Not Found", b"Not Found", "text/plain; charset=utf-8", method)
        content_type = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
        return _send(start_response, "200 OK", file.read_bytes(), content_type, method)

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
) -> list[bytes]:
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-cache"),
        *_SECURITY_HEADERS,
        *(extra or []),
    ]
    start_response(status, headers)
    return [] if method == "HEAD" else [body]
