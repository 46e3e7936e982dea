"""API Gateway HTTP API (payload format 2.0) event and response shapes, as pure functions.

:func:`build_http_event` makes the event API Gateway would hand a Lambda integration for one request;
:func:`http_response` turns what the handler returned into the HTTP response API Gateway would send.
Both are free of side effects so tests can invoke handlers directly with faithful events.
Reference: "Working with AWS Lambda proxy integrations for HTTP APIs" in the API Gateway guide.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["build_http_event", "http_response", "is_text_content_type"]

_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/graphql",
    "application/yaml",
    "application/x-yaml",
    "application/ld+json",
)


def is_text_content_type(content_type: str | None) -> bool:
    """Whether API Gateway passes a body of this type as text rather than base64."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith(("+json", "+xml"))


def _header_pairs(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(k).lower(), str(v)) for k, v in items]


def build_http_event(
    *,
    method: str,
    path: str,
    route_key: str,
    path_parameters: Mapping[str, str] | None = None,
    query_string: str = "",
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    body: bytes | str | None = None,
    claims: Mapping[str, str] | None = None,
    scopes: list[str] | None = None,
    source_ip: str = "127.0.0.1",
    api_id: str = "localapi01",
    domain_name: str | None = None,
    stage: str = "$default",
    account_id: str = "123456789012",
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The payload-2.0 event for one request.

    Headers are lower-cased and repeated ones comma-joined; the ``cookie`` header moves to
    ``cookies``; repeated query parameters are comma-joined in ``queryStringParameters``; a body
    that is not text (by content type) or not UTF-8 is base64-encoded. ``claims`` (already
    flattened to strings, see :mod:`local.jwt_authorizer`) appear under
    ``requestContext.authorizer.jwt`` only when given, i.e. on routes with the JWT authorizer.
    """
    method = method.upper()
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in _header_pairs(headers):
        if name == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        merged[name] = f"{merged[name]},{value}" if name in merged else value
    domain = domain_name or merged.get("host") or f"{api_id}.execute-api.us-east-1.amazonaws.com"
    when = time.time() if now is None else now

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query_string,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = merged
    query = _query_parameters(query_string)
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": merged.get("user-agent", ""),
        },
        "requestId": request_id or _request_id(),
        "routeKey": route_key,
        "stage": stage,
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(when)),
        "timeEpoch": int(when * 1000),
    }
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": dict(claims), "scopes": scopes}}
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body is not None and body != b"" and body != "":
        raw = body.encode() if isinstance(body, str) else body
        text = _as_text(raw) if is_text_content_type(merged.get("content-type")) else None
        if text is None:
            event["body"] = base64.b64encode(raw).decode("ascii")
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
            event["isBase64Encoded"] = False
    else:
        event["isBase64Encoded"] = False
    return event


def _as_text(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _query_parameters(query_string: str) -> dict[str, str]:
    """API Gateway joins a repeated parameter's values with commas."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


def _request_id() -> str:
    """An id shaped like API Gateway's ``apigw-requestid`` (base64 of 10 random bytes)."""
    return base64.b64encode(secrets.token_bytes(10)).decode("ascii").rstrip("=") + "="


def http_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Turn a handler's return value into (status, headers, body) as API Gateway does.

    A dict with ``statusCode`` is a full response: ``headers``, ``multiValueHeaders``, ``cookies``
    (each becomes a Set-Cookie header), ``body`` and ``isBase64Encoded``. Anything else (a dict
    without ``statusCode``, a list, a number ...) is "inferred": 200 with the value as JSON; a string
    is sent as it is, also as JSON content.
    """
    if isinstance(result, dict) and "statusCode" in result:
        status = int(result["statusCode"])
        headers: list[tuple[str, str]] = []
        for name, value in (result.get("headers") or {}).items():
            headers.append((str(name), _header_text(value)))
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((str(name), _header_text(v)) for v in values)
        headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
        body = result.get("body")
        if body is None:
            payload = b""
        elif result.get("isBase64Encoded"):
            payload = base64.b64decode(body)
        else:
            payload = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode()
        return status, headers, payload
    body_text = result if isinstance(result, str) else json.dumps(result)
    return 200, [("Content-Type", "application/json")], body_text.encode("utf-8")


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
