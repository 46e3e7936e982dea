"""A recording Mastodon API server for tests: the endpoints Backchannel calls, answered as Mastodon does.

    with mastodon_server(tokens={"t0ken"}) as server:
        status_id = post_status(server.url, "t0ken", "hello", idempotency_key="k1", allow=server.allow)
        assert server.statuses[status_id]["content"] == "<p>hello</p>"

It listens on ``http://127.0.0.1:<free port>`` (``server.allow`` is the ``http://host:port`` entry that lets
Backchannel's outbound guard call it) and implements:

* ``GET /api/v1/accounts/verify_credentials``: with a token the server was given, 200 with the
  Account entity (``id``, ``username``, ``acct``, ``display_name``, ``url``), else 401.
* ``POST /api/v1/statuses``: ``Authorization: Bearer <token>`` with a token the server was given,
  else 401 ``{"error": "The access token is invalid"}``; a JSON or form-encoded body whose
  ``status`` is required (422 ``Validation failed: Text can't be blank``) and at most
  ``max_characters`` long, each URL counting as 23 characters, as Mastodon counts (422 otherwise);
  ``visibility`` one of public, unlisted, private, direct (default public). An ``Idempotency-Key``
  seen before from the same account returns the status it created, and creates none. Answers 200
  with the Status entity (``id`` a string, ``url``, ``content`` as HTML, ``visibility``,
  ``created_at`` ...).
* ``DELETE /api/v1/statuses/<id>``: with the token of the account that posted it, 200 with the
  deleted status (and its source ``text``, as Mastodon returns it for "delete and redraft"); 404
  ``{"error": "Record not found"}`` for an unknown id, one already deleted or another account's.

Every request is recorded in ``server.requests`` (method, path, lower-cased headers, parsed body);
``server.statuses`` holds the statuses that exist, by id; ``server.fail_next(n, status)`` makes the
next ``n`` requests, whatever they are, fail with that status (503 by default), before any check.
Each token is an account of its own (``member1``, ``member2`` ... in sorted token order).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["TOKEN", "MastodonServer", "RecordedRequest", "mastodon_server"]

TOKEN = "test-token"
VISIBILITIES = ("public", "unlisted", "private", "direct")
URL_LENGTH = 23  # Mastodon counts every URL in a status as this many characters
_URL = re.compile(r"https?://[^\s<>\"]+")
_STATUS_PATH = re.compile(r"^/api/v1/statuses/(?P<id>[^/?#]+)$")
_FIRST_ID = 113_000_000_000_000_001  # Mastodon's ids are large numbers, in strings


@dataclass
class RecordedRequest:
    method: str
    path: str  # with the query string, if any
    headers: dict[str, str]  # lower-cased names
    json: Any  # the JSON body, or the form fields as a dict; None without a body


class MastodonServer:
    """The server; use :func:`mastodon_server` to run one for the length of a ``with`` block."""

    def __init__(self, tokens: Iterable[str] = (TOKEN,), *, max_characters: int = 500) -> None:
        self.accounts = {
            token: {"id": str(n), "username": f"member{n}", "acct": f"member{n}"}
            for n, token in enumerate(sorted(set(tokens)), start=1)
        }
        self.max_characters = max_characters
        self.requests: list[RecordedRequest] = []
        self.statuses: dict[str, dict[str, Any]] = {}
        self._owners: dict[str, str] = {}  # status id -> token
        self._sources: dict[str, str] = {}  # status id -> the text as posted
        self._idempotent: dict[tuple[str, str], dict[str, Any]] = {}
        self._failures: list[int] = []
        self._next_id = _FIRST_ID
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def allow(self) -> tuple[str, ...]:
        """The outbound allow list that lets Backchannel call this server over plain HTTP."""
        return (self.url,)

    def start(self) -> MastodonServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="test-mastodon", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def fail_next(self, n: int, status: int = 503) -> None:
        """Answer the next ``n`` requests with ``status`` (and Mastodon's ``{"error": ...}`` body)."""
        with self._lock:
            self._failures.extend([status] * n)

    # ----------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        """One request: record it, then answer (status, JSON payload)."""
        with self._lock:
            parsed = _parse_body(headers.get("content-type", ""), body)
            self.requests.append(RecordedRequest(method, path, headers, parsed))
            if self._failures:
                status = self._failures.pop(0)
                return status, {"error": HTTPStatus(status).phrase}
            route = path.split("?", 1)[0]
            match = _STATUS_PATH.match(route) if method == "DELETE" else None
            credentials = (route, method) == ("/api/v1/accounts/verify_credentials", "GET")
            if match is None and not credentials and (route, method) != ("/api/v1/statuses", "POST"):
                return 404, {"error": "Not Found"}
            token = _bearer(headers.get("authorization", ""))
            if token not in self.accounts:
                return 401, {"error": "The access token is invalid"}
            if credentials:
                account = self.accounts[token]
                return 200, {
                    **account,
                    "display_name": account["username"],
                    "url": f"{self.url}/@{account['username']}",
                }
            if match is not None:
                return self._delete(token, match["id"])
            if parsed is not None and not isinstance(parsed, dict):
                return 400, {"error": "A JSON object or form fields are expected"}
            return self._post(token, parsed or {}, headers.get("idempotency-key"))

    def _post(self, token: str, params: dict[str, Any], idempotency_key: str | None) -> tuple[int, Any]:
        if idempotency_key and (token, idempotency_key) in self._idempotent:
            return 200, self._idempotent[(token, idempotency_key)]
        text = str(params.get("status") or "")
        if not text.strip():
            return 422, {"error": "Validation failed: Text can't be blank"}
        if _length(text) > self.max_characters:
            return 422, {
                "error": f"Validation failed: Text character limit of {self.max_characters} exceeded"
            }
        visibility = str(params.get("visibility") or "public")
        if visibility not in VISIBILITIES:
            return 422, {"error": "Validation failed: Visibility is not included in the list"}
        status_id = str(self._next_id)
        self._next_id += 1
        account = self.accounts[token]
        profile = f"{self.url}/@{account['username']}"
        status = {
            "id": status_id,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": str(params.get("sensitive", "")).lower() == "true",
            "spoiler_text": str(params.get("spoiler_text") or ""),
            "visibility": visibility,
            "language": params.get("language") or "en",
            "uri": f"{self.url}/users/{account['username']}/statuses/{status_id}",
            "url": f"{profile}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "content": _html(text),
            "account": {**account, "url": profile},
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        self.statuses[status_id] = status
        self._owners[status_id] = token
        self._sources[status_id] = text
        if idempotency_key:
            self._idempotent[(token, idempotency_key)] = status
        return 200, status

    def _delete(self, token: str, status_id: str) -> tuple[int, Any]:
        if status_id not in self.statuses or self._owners[status_id] != token:
            return 404, {"error": "Record not found"}
        status = self.statuses.pop(status_id)
        return 200, {**status, "text": self._sources[status_id]}


@contextlib.contextmanager
def mastodon_server(tokens: Iterable[str] = (TOKEN,), **kwargs: Any) -> Iterator[MastodonServer]:
    """A :class:`MastodonServer` serving for the ``with`` block, stopped after it."""
    server = MastodonServer(tokens, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


def _handler(server: MastodonServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, payload = server.handle(self.command, self.path, headers, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:  # quiet: the requests are recorded instead
            pass

    return Handler


def _bearer(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _parse_body(content_type: str, body: bytes) -> Any:
    if not body:
        return None
    if content_type.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")


def _length(text: str) -> int:
    """The length Mastodon checks against its limit: every URL counts as 23 characters."""
    return len(_URL.sub("x" * URL_LENGTH, text))


def _html(text: str) -> str:
    """Plain text as Mastodon renders it: paragraphs, line breaks, and links."""

    def paragraph(part: str) -> str:
        pieces, last = [], 0
        for match in _URL.finditer(part):
            url = match.group(0)
            pieces += [
                html.escape(part[last : match.start()]),
                f'<a href="{html.escape(url)}" rel="nofollow noopener" target="_blank">{html.escape(url)}</a>',
            ]
            last = match.end()
        pieces.append(html.escape(part[last:]))
        return "<p>" + "".join(pieces).replace("\n", "<br />") + "</p>"

    return "".join(paragraph(p) for p in re.split(r"\n{2,}", text.strip()))
