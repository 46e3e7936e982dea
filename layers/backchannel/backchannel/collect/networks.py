"""The networks' read APIs, every call through the outbound guard
(:func:`backchannel.circulation.transports.outbound.send`).

* Mastodon: ``GET /api/v1/timelines/tag/:hashtag`` (public, no token) with ``min_id``: the statuses
  just after the cursor, so nothing is fetched twice or skipped; ``GET /api/v1/statuses/:id`` to
  re-check one (404: deleted).
* Bluesky: ``app.bsky.feed.searchPosts`` (``tag``, ``sort=latest``, ``since``), signed in with an app
  password when the source has one (``com.atproto.server.createSession``), and ``app.bsky.feed.getPosts``
  to re-check up to 25 posts in one call (a missing one is deleted).

A 429 raises :class:`RateLimited` with the time the network's headers name (``Retry-After``,
Mastodon's ``X-RateLimit-Reset``, Bluesky's ``RateLimit-Reset``); a 5xx, a refused connection or a
timeout raises :class:`Unavailable`: the cycle records it and the next one tries again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from backchannel.capture.model import POST_MAX_CHARS
from backchannel.collect.consent import bluesky_allows, clean, html_text, mastodon_allows
from backchannel.collect.model import Upstream

PAGE = 40  # Mastodon's largest page
BLUESKY_PAGE = 100
MAX_PAGES = 5  # per hashtag and cycle: a busy tag catches up over the next cycles
MAX_BACKOFF = dt.timedelta(hours=1)


class RateLimited(Exception):
    def __init__(self, until: dt.datetime) -> None:
        super().__init__(f"rate limited until {until.isoformat()}")
        self.until = until


class Unavailable(Exception):
    """The network did not answer usefully; the message says how, for the organiser."""


def reset_time(headers: dict[str, str], now: dt.datetime) -> dt.datetime:
    """When a 429 says we may call again (one minute when it does not say; at most an hour)."""
    until = now + dt.timedelta(seconds=60)
    if (value := headers.get("retry-after", "").strip()).isdigit():
        until = now + dt.timedelta(seconds=int(value))
    elif value and (when := email.utils.parsedate_to_datetime(value)) is not None:
        until = when
    elif value := headers.get("x-ratelimit-reset", "").strip():
        with contextlib.suppress(ValueError):
            until = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif (value := headers.get("ratelimit-reset", "").strip()).isdigit():
        until = dt.datetime.fromtimestamp(int(value), dt.UTC)
    if until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)
    return min(max(until, now), now + MAX_BACKOFF)


class Http:
    """JSON over the outbound guard: ``send`` is :func:`outbound.send` (or a recording twin)."""

    def __init__(
        self,
        send: Callable[..., Any],
        *,
        allow: tuple[str, ...] = (),
        timeout_s: float = 5.0,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.send, self.allow, self.timeout_s, self.now = send, allow, timeout_s, now
        self.calls = 0

    def call(self, method: str, url: str, *, token: str | None = None, body: dict | None = None) -> Any:
        """The JSON answer of a 2xx, None for a 404 or 410; RateLimited, Unavailable otherwise."""
        from backchannel.circulation.transports.outbound import TransportError, UnsafeUrl

        headers = {"Accept": "application/json", "User-Agent": "Backchannel (hashtag collector)"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        self.calls += 1
        try:
            answer = self.send(
                method,
                url,
                headers=headers,
                body=data,
                timeout_s=self.timeout_s,
                allow=self.allow,
                max_body=2 * 1024 * 1024,
            )
        except UnsafeUrl as err:
            raise Unavailable(f"{_origin(url)} may not be called: {err}") from None
        except TransportError as err:
            raise Unavailable(str(err)) from None
        if answer.status == 429:
            raise RateLimited(reset_time(answer.headers, self.now()))
        if answer.status in (404, 410):
            return None
        if not 200 <= answer.status < 300:
            raise Unavailable(f"{_origin(url)} answered {answer.status}")
        try:
            return json.loads(answer.body or b"null")
        except ValueError:
            raise Unavailable(f"{_origin(url)} answered something that is not JSON") from None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _newer(a: str, b: str | None) -> bool:
    """Mastodon ids are numbers in strings (snowflakes): compare by length, then text."""
    return b is None or (len(a), a) > (len(b), b)


class Mastodon:
    network = "mastodon"

    def __init__(self, instance: str, http: Http) -> None:
        self.instance, self.http = instance.rstrip("/"), http
        self.host = urlsplit(self.instance).netloc

    def upstream(self, status: dict[str, Any]) -> Upstream:
        account = status.get("account") or {}
        acct = str(account.get("acct") or account.get("username") or "")
        handle = "@" + (acct if "@" in acct else f"{acct}@{self.host}")
        return Upstream(
            network=self.network,
            upstream_id=str(status.get("uri") or status.get("url") or status.get("id")),
            ref=f"{self.instance}|{status.get('id')}",
            url=str(status.get("url") or status.get("uri") or ""),
            text=clean(html_text(str(status.get("content") or "")), POST_MAX_CHARS),
            created_at=str(status.get("created_at") or ""),
            handle=handle,
            display_name=str(account.get("display_name") or account.get("username") or handle)[:100],
            profile_url=str(account.get("url") or ""),
        )

    def new_posts(self, tag: str, cursor: str | None) -> tuple[list[Upstream], str | None, int]:
        """Public statuses tagged ``tag`` after ``cursor`` (oldest first), the new cursor, and how many
        were skipped for consent."""
        found: list[Upstream] = []
        skipped = 0
        for _ in range(MAX_PAGES if cursor else 1):
            query = {"limit": PAGE, **({"min_id": cursor} if cursor else {})}
            page = self.http.call(
                "GET", f"{self.instance}/api/v1/timelines/tag/{quote(tag)}?{urlencode(query)}"
            )
            statuses = [s for s in page or [] if isinstance(s, dict) and s.get("id")]
            for status in sorted(statuses, key=lambda s: (len(str(s["id"])), str(s["id"]))):
                if _newer(str(status["id"]), cursor):
                    cursor = str(status["id"])
                if mastodon_allows(status):
                    found.append(self.upstream(status))
                else:
                    skipped += 1
            if len(statuses) < PAGE:
                break
        return found, cursor, skipped

    def recheck(self, refs: list[str]) -> dict[str, Upstream | None]:
        """Each status as it is now (None: deleted, or its author opted out since)."""
        now: dict[str, Upstream | None] = {}
        for ref in refs:
            instance, _, status_id = ref.rpartition("|")
            status = self.http.call("GET", f"{instance}/api/v1/statuses/{quote(status_id)}")
            ok = isinstance(status, dict) and mastodon_allows(status)
            now[ref] = Mastodon(instance, self.http).upstream(status) if ok else None
        return now


class Bluesky:
    network = "bluesky"

    def __init__(self, service: str, http: Http, credentials: tuple[str, str] | None = None) -> None:
        self.service, self.http, self.credentials = service.rstrip("/"), http, credentials
        self._token: str | None = None

    def _xrpc(self, method: str, query: dict | list) -> Any:
        if self.credentials and self._token is None:
            identifier, password = self.credentials
            session = self.http.call(
                "POST",
                f"{self.service}/xrpc/com.atproto.server.createSession",
                body={"identifier": identifier, "password": password},
            )
            if not isinstance(session, dict) or not session.get("accessJwt"):
                raise Unavailable("Bluesky refused the account's app password")
            self._token = str(session["accessJwt"])
        return self.http.call("GET", f"{self.service}/xrpc/{method}?{urlencode(query)}", token=self._token)

    def upstream(self, post: dict[str, Any]) -> Upstream:
        author = post.get("author") or {}
        handle = str(author.get("handle") or author.get("did") or "")
        record = post.get("record") or {}
        rkey = str(post.get("uri") or "").rsplit("/", 1)[-1]
        return Upstream(
            network=self.network,
            upstream_id=str(post.get("uri")),
            ref=str(post.get("uri")),
            url=f"https://bsky.app/profile/{handle}/post/{rkey}",
            text=clean(str(record.get("text") or ""), POST_MAX_CHARS),
            created_at=str(record.get("createdAt") or post.get("indexedAt") or ""),
            handle=f"@{handle}",
            display_name=str(author.get("displayName") or handle)[:100],
            profile_url=f"https://bsky.app/profile/{handle}",
        )

    def new_posts(self, tag: str, cursor: str | None) -> tuple[list[Upstream], str | None, int]:
        found: list[Upstream] = []
        skipped, newest, page_cursor = 0, cursor, None
        for _ in range(MAX_PAGES):
            query = {"q": f"#{tag}", "tag": tag, "sort": "latest", "limit": BLUESKY_PAGE}
            query |= {"since": cursor} if cursor else {}
            query |= {"cursor": page_cursor} if page_cursor else {}
            page = self._xrpc("app.bsky.feed.searchPosts", query) or {}
            posts = [p for p in page.get("posts") or [] if isinstance(p, dict) and p.get("uri")]
            for post in posts:
                stamp = str(post.get("indexedAt") or "")
                newest = stamp if stamp and (newest is None or stamp > newest) else newest
                if bluesky_allows(post):
                    found.append(self.upstream(post))
                else:
                    skipped += 1
            page_cursor = page.get("cursor")
            if len(posts) < BLUESKY_PAGE or not page_cursor or not cursor:
                break
        found.sort(key=lambda u: u.created_at)
        return found, newest, skipped

    def recheck(self, refs: list[str]) -> dict[str, Upstream | None]:
        now: dict[str, Upstream | None] = dict.fromkeys(refs)
        for start in range(0, len(refs), 25):
            answer = self._xrpc("app.bsky.feed.getPosts", [("uris", r) for r in refs[start : start + 25]])
            for post in (answer or {}).get("posts") or []:
                if isinstance(post, dict) and post.get("uri") in now and bluesky_allows(post):
                    now[post["uri"]] = self.upstream(post)
        return now
