"""``/_local/schedules/<name>``: schedule files to import by URL under the local runtime.

The outbound guard lets the functions reach only the local receivers' origin (``--webhook-port``,
3002 under ``make run``), so that origin also serves schedules: the repository's samples
(``tests/unit/conference/schedules/``) and any document put there. An organiser then imports
``http://127.0.0.1:3002/_local/schedules/pretalx_schedule.json`` by URL as they would a pretalx export.

    GET    /_local/schedules                {"items": [names]}
    GET    /_local/schedules/<name>         the document (404 if there is none of that name)
    PUT    /_local/schedules/<name>         the body is the document (at most 6 MiB): 204
    DELETE /_local/schedules/<name>         forget a document put there: 204

A document put under a sample's name is served instead of the sample until it is deleted. Documents
are kept in memory; the gateway serves the same paths, for browsing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.wsgi import respond

if TYPE_CHECKING:
    from local.gateway import Gateway

PATH = "/_local/schedules"
SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "unit" / "conference" / "schedules"
MAX_BYTES = 6 * 1024 * 1024
_ROUTE = re.compile(rf"^{PATH}(?:/(?P<name>[A-Za-z0-9._-]{{1,128}}))?/?$")
_TYPES = {".json": "application/json", ".xml": "application/xml", ".ics": "text/calendar"}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ScheduleFiles:
    """The samples, and documents put by name (thread-safe)."""

    def __init__(self, samples: Path = SAMPLES) -> None:
        self.samples = samples
        self._put: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def mount(self, gateway: Gateway) -> None:
        gateway.add_route("*", PATH, self)

    def names(self) -> list[str]:
        found = {p.name for p in self.samples.glob("*") if p.is_file()} if self.samples.is_dir() else set()
        with self._lock:
            return sorted(found | set(self._put))

    def get(self, name: str) -> bytes | None:
        with self._lock:
            if name in self._put:
                return self._put[name]
        path = self.samples / name
        return path.read_bytes() if not name.startswith(".") and path.is_file() else None

    def put(self, name: str, document: bytes) -> None:
        with self._lock:
            self._put[name] = document

    def delete(self, name: str) -> None:
        with self._lock:
            self._put.pop(name, None)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        match = _ROUTE.match(environ.get("PATH_INFO") or "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if match is None:
            return respond(start_response, 404, {"message": "no such path"})
        name = match["name"]
        if name is None:
            if method != "GET":
                return respond(start_response, 405, {"message": "GET the list"})
            return respond(start_response, 200, {"items": self.names()})
        if method in ("GET", "HEAD"):
            document = self.get(name)
            if document is None:
                return respond(start_response, 404, {"message": f"no schedule {name}"})
            kind = _TYPES.get(Path(name).suffix.lower(), "text/plain")
            headers = [("Content-Type", f"{kind}; charset=utf-8"), ("Content-Length", str(len(document)))]
            start_response("200 OK", [("Cache-Control", "no-store"), *headers])
            return [b"" if method == "HEAD" else document]
        if method == "PUT":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length > MAX_BYTES:
                return respond(start_response, 413, {"message": f"at most {MAX_BYTES} bytes"})
            self.put(name, environ["wsgi.input"].read(length) if length else b"")
            return respond(start_response, 204, None)
        if method == "DELETE":
            self.delete(name)
            return respond(start_response, 204, None)
        return respond(start_response, 405, {"message": "GET, PUT or DELETE"})


def with_schedule_files(app: WsgiApp, files: ScheduleFiles) -> WsgiApp:
    """``app`` with ``files`` answering under ``/_local/schedules``: the receivers' port serves both."""

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if path == PATH or path.startswith(PATH + "/"):
            return files(environ, start_response)
        return app(environ, start_response)

    return dispatch
