"""What the local runtime's small WSGI apps (bus tap, mailbox, webhook receiver, faults) share."""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any


def respond(
    start_response: Callable[..., Any],
    status: int,
    payload: Any,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    """A JSON answer, never cached, or an empty one for ``payload=None`` (a 204 has no
    Content-Length either)."""
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    fields = [("Cache-Control", "no-store"), *(headers or [])]
    if payload is not None:
        fields[:0] = [("Content-Type", "application/json")]
    if status != HTTPStatus.NO_CONTENT:
        fields.append(("Content-Length", str(len(body))))
    start_response(f"{status} {_reason(status)}".rstrip(), fields)
    return [body]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
