"""``/_local/mastodon`` and ``/_local/bluesky``: a fake Mastodon instance and a fake Bluesky service
that anyone can publish to with a plain HTTP call, and that speak enough of the real read APIs for the
hashtag collector (``backchannel.collect.networks``). Local only; nothing of this exists in AWS.

Publishing (the shapes of issue 13):

    POST   /_local/mastodon/statuses       {"text", "account": {"username", "displayName", "noindex",
                                             "indexable", "discoverable", "note"}, "visibility"?}
                                           -> 201 the status (Mastodon's Status entity, with its "id")
    PUT    /_local/mastodon/statuses/<id>  {"text"}: edit it (edited_at set)
    DELETE /_local/mastodon/statuses/<id>  delete it (404 if unknown or deleted)
    POST   /_local/bluesky/posts           {"text", "author": {"handle", "displayName", "labels": ["…"]}}
                                           -> 201 the post view (with "id", its record key, and "uri")
    PUT    /_local/bluesky/posts/<id>      {"text"}: edit it
    DELETE /_local/bluesky/posts/<id>      delete it

Read APIs (what the collector calls):

    GET  /_local/mastodon/api/v1/timelines/tag/<tag>  ?limit, min_id, since_id, max_id (newest first)
    GET  /_local/mastodon/api/v1/statuses/<id>        404 {"error": "Record not found"} once deleted
    POST /_local/bluesky/xrpc/com.atproto.server.createSession   any identifier and password
    GET  /_local/bluesky/xrpc/app.bsky.feed.searchPosts  ?q, tag, since, sort=latest, limit, cursor
    GET  /_local/bluesky/xrpc/app.bsky.feed.getPosts     ?uris=…&uris=… (missing ones left out)

Faults, for tests: ``POST /_local/<network>/faults {"status": 429, "times": 1, "resetSeconds": 30}``
makes the next ``times`` read calls answer ``status`` (a 429 with Mastodon's ``X-RateLimit-Reset`` or
Bluesky's ``RateLimit-Reset``, a 5xx with an error body); ``DELETE`` disarms. ``GET
/_local/<network>/requests`` lists the read calls made (method and path), for counting. The fake does
not filter what it returns by visibility or opt-outs: the collector's own rules are what is tested.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from local.wsgi import respond

if TYPE_CHECKING:
    from local.gateway import Gateway

MASTODON = "/_local/mastodon"
BLUESKY = "/_local/bluesky"
_TAG = re.compile(r"(?<![\w#])#(\w{1,50})")
_FIRST_ID = 113_000_000_000_000_001


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _tags(text: str) -> set[str]:
    return {t.lower() for t in _TAG.findall(text)}


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    size = int(environ.get("CONTENT_LENGTH") or 0)
    data = json.loads(environ["wsgi.input"].read(size) or b"{}")
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _base(environ: dict[str, Any], prefix: str) -> str:
    return f"http://{environ.get('HTTP_HOST') or environ.get('SERVER_NAME')}{prefix}"


class _Fake:
    """What both fakes share: a lock, faults, the log of read calls."""

    prefix = ""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fault: dict[str, int] | None = None
        self.requests: list[dict[str, str]] = []

    def _faulted(self, start_response: Callable) -> list[bytes] | None:
        with self.lock:
            fault = self.fault
            if fault is None:
                return None
            fault["times"] -= 1
            if fault["times"] <= 0:
                self.fault = None
        status, reset = fault["status"], fault["resetSeconds"]
        if status == 429:
            until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=reset)
            headers = [
                ("X-RateLimit-Reset", until.isoformat().replace("+00:00", "Z")),
                ("RateLimit-Reset", str(int(until.timestamp()))),
            ]
            return respond(start_response, 429, {"error": "Too many requests"}, headers)
        return respond(start_response, status, {"error": "the fake was told to fail"})

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = unquote(environ.get("PATH_INFO", ""))[len(self.prefix) :] or "/"
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            if path == "/faults":
                return self._faults(method, environ, start_response)
            if path == "/requests" and method == "GET":
                with self.lock:
                    return respond(start_response, 200, {"items": list(self.requests)})
            if path.startswith(("/api/", "/xrpc/")):
                with self.lock:
                    self.requests.append({"method": method, "path": path})
                if (failed := self._faulted(start_response)) is not None:
                    return failed
            found = self.route(method, path, query, environ)
        except (ValueError, KeyError, TypeError) as err:
            return respond(start_response, 400, {"error": f"bad request: {err}"})
        if found is None:
            return respond(start_response, 404, {"error": "Record not found"})
        status, payload = found
        return respond(start_response, status, payload)

    def _faults(self, method: str, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        if method == "DELETE":
            self.fault = None
            return respond(start_response, 204, None)
        body = _body(environ)
        status, times = int(body.get("status", 503)), int(body.get("times", 1))
        if not 400 <= status <= 599 or times < 1:
            raise ValueError("status is 4xx or 5xx; times is at least 1")
        with self.lock:
            self.fault = {"status": status, "times": times, "resetSeconds": int(body.get("resetSeconds", 30))}
        return respond(start_response, 201, {"armed": self.fault})

    def route(self, method: str, path: str, query: dict, environ: dict) -> tuple[int, Any] | None:
        raise NotImplementedError


class FakeMastodon(_Fake):
    prefix = MASTODON

    def __init__(self) -> None:
        super().__init__()
        self.statuses: dict[int, dict[str, Any]] = {}  # id -> stored status (deleted ones removed)
        self._ids = itertools.count(_FIRST_ID)

    def _status(self, stored: dict[str, Any], base: str) -> dict[str, Any]:
        account = stored["account"]
        username = account["username"]
        text = html.escape(stored["text"])
        content = _TAG.sub(
            lambda m: (
                f'<a href="{base}/tags/{m[1].lower()}" class="mention hashtag" rel="tag">#<span>{m[1]}</span></a>'
            ),
            text,
        )
        return {
            "id": str(stored["id"]),
            "uri": f"{base}/users/{username}/statuses/{stored['id']}",
            "url": f"{base}/@{username}/{stored['id']}",
            "created_at": stored["created_at"],
            "edited_at": stored.get("edited_at"),
            "visibility": stored["visibility"],
            "content": "<p>" + content.replace("\n", "<br />") + "</p>",
            "tags": [{"name": t, "url": f"{base}/tags/{t}"} for t in sorted(_tags(stored["text"]))],
            "reblog": None,
            "account": {
                "id": hashlib.sha256(username.encode()).hexdigest()[:16],
                "username": username,
                "acct": username,
                "display_name": account.get("displayName") or username,
                "url": f"{base}/@{username}",
                "note": f"<p>{html.escape(account.get('note') or '')}</p>",
                "noindex": bool(account.get("noindex", False)),
                "indexable": bool(account.get("indexable", True)),
                "discoverable": bool(account.get("discoverable", True)),
            },
        }

    def route(self, method: str, path: str, query: dict, environ: dict) -> tuple[int, Any] | None:
        base = _base(environ, MASTODON)
        one = lambda name: (query.get(name) or [None])[0]  # noqa: E731
        if method == "POST" and path == "/statuses":
            body = _body(environ)
            account = body.get("account") or {}
            if not str(body.get("text") or "").strip() or not str(account.get("username") or "").strip():
                raise ValueError("text and account.username are required")
            with self.lock:
                stored = {
                    "id": next(self._ids),
                    "text": str(body["text"]),
                    "visibility": str(body.get("visibility") or "public"),
                    "account": dict(account),
                    "created_at": _now(),
                }
                self.statuses[stored["id"]] = stored
            return 201, self._status(stored, base)
        if (m := re.fullmatch(r"/(?:statuses|api/v1/statuses)/(\d+)", path)) is not None:
            status_id = int(m[1])
            with self.lock:
                stored = self.statuses.get(status_id)
                if stored is None:
                    return None
                if method == "DELETE" and not path.startswith("/api/"):
                    del self.statuses[status_id]
                elif method == "PUT" and not path.startswith("/api/"):
                    stored["text"], stored["edited_at"] = str(_body(environ)["text"]), _now()
                elif method != "GET":
                    return 405, {"error": "method not allowed"}
            return 200, self._status(stored, base)
        if method == "GET" and (m := re.fullmatch(r"/api/v1/timelines/tag/(\w+)", path)) is not None:
            limit = min(int(one("limit") or 20), 40)
            with self.lock:
                tagged = sorted(i for i, s in self.statuses.items() if m[1].lower() in _tags(s["text"]))
                if one("max_id"):
                    tagged = [i for i in tagged if i < int(str(one("max_id")))]
                if one("min_id"):  # the page just after min_id
                    page = [i for i in tagged if i > int(str(one("min_id")))][:limit]
                else:
                    after = int(str(one("since_id") or 0))
                    page = [i for i in tagged if i > after][-limit:]
                return 200, [self._status(self.statuses[i], base) for i in reversed(page)]
        return None


class FakeBluesky(_Fake):
    prefix = BLUESKY

    def __init__(self) -> None:
        super().__init__()
        self.posts: dict[str, dict[str, Any]] = {}  # record key -> stored post
        self._keys = itertools.count(1)

    @staticmethod
    def _view(stored: dict[str, Any]) -> dict[str, Any]:
        author = stored["author"]
        did = "did:plc:" + hashlib.sha256(author["handle"].encode()).hexdigest()[:24]
        labels = [
            {
                "src": did,
                "uri": f"at://{did}/app.bsky.actor.profile/self",
                "val": str(v),
                "cts": stored["indexedAt"],
            }
            for v in author.get("labels") or []
        ]
        return {
            "id": stored["id"],
            "uri": f"at://{did}/app.bsky.feed.post/{stored['id']}",
            "cid": hashlib.sha256(stored["text"].encode()).hexdigest()[:46],
            "author": {
                "did": did,
                "handle": author["handle"],
                "displayName": author.get("displayName") or "",
                "labels": labels,
            },
            "record": {
                "$type": "app.bsky.feed.post",
                "text": stored["text"],
                "createdAt": stored["createdAt"],
            },
            "indexedAt": stored["indexedAt"],
            "labels": [],
        }

    def route(self, method: str, path: str, query: dict, environ: dict) -> tuple[int, Any] | None:
        one = lambda name: (query.get(name) or [None])[0]  # noqa: E731
        if method == "POST" and path == "/posts":
            body = _body(environ)
            author = body.get("author") or {}
            if not str(body.get("text") or "").strip() or not str(author.get("handle") or "").strip():
                raise ValueError("text and author.handle are required")
            with self.lock:
                key = f"3l{next(self._keys):011d}"
                now = _now()
                stored = {
                    "id": key,
                    "text": str(body["text"]),
                    "author": dict(author),
                    "createdAt": now,
                    "indexedAt": now,
                }
                self.posts[key] = stored
            return 201, self._view(stored)
        if (m := re.fullmatch(r"/posts/(\w+)", path)) is not None:
            with self.lock:
                stored = self.posts.get(m[1])
                if stored is None:
                    return None
                if method == "DELETE":
                    del self.posts[m[1]]
                elif method == "PUT":
                    stored["text"] = str(_body(environ)["text"])
            return 200, self._view(stored)
        if method == "POST" and path == "/xrpc/com.atproto.server.createSession":
            body = _body(environ)
            if not body.get("identifier") or not body.get("password"):
                return 401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
            return 200, {
                "accessJwt": "local-" + hashlib.sha256(str(body).encode()).hexdigest()[:32],
                "handle": body["identifier"],
                "did": "did:plc:local",
            }
        if method == "GET" and path == "/xrpc/app.bsky.feed.searchPosts":
            tags = {t.lower() for t in query.get("tag") or []} | _tags(str(one("q") or ""))
            since, start = one("since"), int(str(one("cursor") or 0))
            limit = min(int(one("limit") or 25), 100)
            with self.lock:
                views = [self._view(p) for p in self.posts.values() if tags & _tags(p["text"])]
            views = [v for v in views if not since or v["indexedAt"] >= since]
            views.sort(key=lambda v: v["indexedAt"], reverse=True)
            page = views[start : start + limit]
            more = start + limit < len(views)
            return 200, {
                "posts": page,
                **({"cursor": str(start + limit)} if more else {}),
                "hitsTotal": len(views),
            }
        if method == "GET" and path == "/xrpc/app.bsky.feed.getPosts":
            wanted = query.get("uris") or []
            with self.lock:
                views = {v["uri"]: v for v in (self._view(p) for p in self.posts.values())}
            return 200, {"posts": [views[u] for u in wanted if u in views]}
        return None


class FakeNetworks:
    def __init__(self) -> None:
        self.mastodon = FakeMastodon()
        self.bluesky = FakeBluesky()


def mount_fake_networks(gateway: Gateway) -> FakeNetworks:
    fakes = FakeNetworks()
    gateway.add_route("*", MASTODON, fakes.mastodon)
    gateway.add_route("*", BLUESKY, fakes.bluesky)
    return fakes


# What ``make run``'s demo publishes on the fake Mastodon instance before it attaches it to the demo event:
# a post for the live session (#WOL), one for the event, and one from an account that opted out (noindex),
# which never appears.
DEMO_STATUSES = (
    (
        "Narrating my work since 2009: #WOL changed how my team learns. https://example.org/wol",
        "ada",
        "Ada L.",
    ),
    ("Great start to #LAWW26 this morning, the room is full!", "grace", "Grace H."),
    ("Please do not collect me: #LAWW26", "private_person", "Private Person", True),
)


def seed_collection(
    base_url: str, post: Callable[[str, str, dict], tuple[int, Any]], token: str, event_id: str
) -> list[str]:
    """Publish the demo statuses, attach the fake instance to the event and sync it once; the warnings."""
    warnings = []
    for text, username, name, *noindex in DEMO_STATUSES:
        account = {
            "username": username,
            "displayName": name,
            "noindex": bool(noindex),
            "indexable": True,
            "note": "",
        }
        status, body = post(f"{base_url}{MASTODON}/statuses", "", {"text": text, "account": account})
        if status != 201:
            warnings.append(f"the fake Mastodon answered {status}: {body}")
    status, body = post(
        f"{base_url}/events/{event_id}/sources",
        token,
        {"type": "mastodon", "instance": f"{base_url}{MASTODON}"},
    )
    if status != 201 or not isinstance(body, dict):
        return [*warnings, f"POST /events/{event_id}/sources answered {status}: {body}"]
    status, body = post(f"{base_url}/events/{event_id}/sources/{body['id']}/sync", token, {})
    if status != 202:
        warnings.append(f"POST .../sync answered {status}: {body}")
    return warnings
