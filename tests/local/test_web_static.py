"""The local web app: the page's files with their content types, and config.json from the outputs."""

from __future__ import annotations

import json
from io import BytesIO

import pytest

from local.web import CONFIG_PATH, WEB_DIR, WebApp, public_config

OUTPUTS = {
    "ApiUrl": "http://127.0.0.1:3123",
    "UserPoolId": "us-east-1_secret",
    "DataTableName": "backchannel-local-DataTable",
}


def _get(app: WebApp, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(
        app({"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": BytesIO()}, start_response)
    )
    return seen["status"], seen["headers"], body  # type: ignore[return-value]


@pytest.fixture
def app() -> WebApp:
    return WebApp(lambda: OUTPUTS)


@pytest.mark.parametrize(
    ("path", "content_type", "needle"),
    [
        ("/web/", "text/html; charset=utf-8", b"<main"),
        ("/web/index.html", "text/html; charset=utf-8", b'aria-labelledby="account-heading"'),
        ("/web/app.js", "text/javascript; charset=utf-8", b"function route"),
        ("/web/live.js", "text/javascript; charset=utf-8", b"class LiveFeed"),
        ("/web/sw.js", "text/javascript; charset=utf-8", b'addEventListener("fetch"'),
        ("/web/manifest.webmanifest", "application/manifest+json", b'"start_url"'),
        ("/web/icon-192.png", "image/png", b"PNG"),
        ("/web/style.css", "text/css; charset=utf-8", b"prefers-reduced-motion"),
    ],
)
def test_the_page_files_are_served_with_their_content_types(app, path, content_type, needle):
    status, headers, body = _get(app, path)
    assert status == "200 OK"
    assert headers["Content-Type"] == content_type
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert int(headers["Content-Length"]) == len(body)
    assert needle in body


def test_config_json_tells_the_page_only_where_the_api_is(app):
    for path in (CONFIG_PATH, "/web/config.json"):
        status, headers, body = _get(app, path)
        assert status == "200 OK"
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body) == {"ApiUrl": "http://127.0.0.1:3123"}


def test_config_json_is_read_from_the_outputs_at_each_request():
    outputs: dict[str, str] = {}
    app = WebApp(lambda: outputs)
    outputs.update(ApiUrl="http://127.0.0.1:4000/", WebSocketUrl="ws://127.0.0.1:4001")
    assert json.loads(_get(app, CONFIG_PATH)[2]) == {
        "ApiUrl": "http://127.0.0.1:4000",
        "WebSocketUrl": "ws://127.0.0.1:4001",
    }


def test_a_remote_websocket_url_is_not_handed_to_the_local_page():
    outputs = {
        "ApiUrl": "http://127.0.0.1:3000",
        "WebSocketUrl": "wss://abc.execute-api.us-east-1.amazonaws.com/live",
    }
    assert public_config(outputs) == {"ApiUrl": "http://127.0.0.1:3000"}


@pytest.mark.parametrize(
    "path", ["/web/missing.js", "/web/../README.md", "/web/..%2FREADME.md", "/elsewhere"]
)
def test_nothing_outside_web_is_served(app, path):
    status, _, body = _get(app, path)
    assert status == "404 Not Found"
    assert b"Backchannel" not in body


def test_head_has_no_body_and_writes_are_refused(app):
    status, headers, body = _get(app, "/web/app.js", "HEAD")
    assert status == "200 OK" and body == b""
    assert int(headers["Content-Length"]) == (WEB_DIR / "app.js").stat().st_size
    status, headers, _ = _get(app, "/web/app.js", "POST")
    assert status == "405 Method Not Allowed"
    assert headers["Allow"] == "GET, HEAD"


def test_the_running_gateway_serves_the_page_and_still_routes_the_api():
    from tests.support.runtime import http, local_runtime

    with local_runtime() as (runtime, base_url):
        page = http("GET", f"{base_url}/web/")
        assert page.status == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        config = http("GET", f"{base_url}/config.json")
        assert config.json["ApiUrl"] == runtime.outputs["ApiUrl"] == base_url
        assert http("GET", f"{base_url}/events").status == 200


def test_the_page_is_served_under_the_security_headers_cloudfront_adds():
    app = WebApp(lambda: {**OUTPUTS, "WebSocketUrl": "ws://127.0.0.1:3124"})
    for path in ("/web/", "/web/app.js", CONFIG_PATH, "/nowhere"):
        _, headers, _ = _get(app, path)
        csp = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
        # the template's policy, with the local API and WebSocket in place of the region's hosts
        assert csp["connect-src"] == "'self' http://127.0.0.1:3123 ws://127.0.0.1:3124"
        assert (csp["default-src"], csp["frame-ancestors"], csp["object-src"]) == (
            "'self'",
            "'none'",
            "'none'",
        )
        assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"


def test_config_json_tells_the_page_where_members_sign_in():
    outputs = {**OUTPUTS, "UserPoolId": "eu-west-1_AbC123", "UserPoolClientId": "client123"}
    assert public_config(outputs) == {
        "ApiUrl": "http://127.0.0.1:3123",
        "UserPoolId": "eu-west-1_AbC123",
        "UserPoolClientId": "client123",
        "CognitoEndpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",  # the pool's region
    }
    local = {**outputs, "CognitoEndpoint": "http://127.0.0.1:3123/_local/cognito"}
    assert public_config(local)["CognitoEndpoint"] == "http://127.0.0.1:3123/_local/cognito"
