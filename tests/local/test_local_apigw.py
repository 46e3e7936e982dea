"""The payload-2.0 event and the response mapping (local.apigw), as API Gateway shapes them."""

from __future__ import annotations

import base64
import json

from local.apigw import build_http_event, http_response


def test_event_has_the_http_api_v2_shape():
    event = build_http_event(
        method="post",
        path="/events/e1/sessions",
        route_key="POST /events/{eventId}/sessions",
        path_parameters={"eventId": "e1"},
        query_string="tag=a&tag=b&limit=5",
        headers=[
            ("Content-Type", "application/json"),
            ("X-Thing", "1"),
            ("x-thing", "2"),
            ("User-Agent", "ua/1"),
        ],
        body=b'{"title": "t"}',
        claims={"sub": "u1", "cognito:groups": "[organisers]"},
        api_id="abc123defg",
        domain_name="127.0.0.1:3000",
        now=1_700_000_000.5,
    )

    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /events/{eventId}/sessions"
    assert event["rawPath"] == "/events/e1/sessions"
    assert event["rawQueryString"] == "tag=a&tag=b&limit=5"
    assert event["queryStringParameters"] == {"tag": "a,b", "limit": "5"}
    assert event["pathParameters"] == {"eventId": "e1"}
    assert event["headers"] == {"content-type": "application/json", "x-thing": "1,2", "user-agent": "ua/1"}
    assert event["body"] == '{"title": "t"}'
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["http"] == {
        "method": "POST",
        "path": "/events/e1/sessions",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "ua/1",
    }
    assert (ctx["accountId"], ctx["apiId"], ctx["stage"], ctx["routeKey"]) == (
        "123456789012",
        "abc123defg",
        "$default",
        "POST /events/{eventId}/sessions",
    )
    assert ctx["domainName"] == "127.0.0.1:3000"
    assert ctx["timeEpoch"] == 1_700_000_000_500
    assert ctx["time"] == "14/Nov/2023:22:13:20 +0000"
    assert ctx["requestId"]
    assert ctx["authorizer"] == {
        "jwt": {"claims": {"sub": "u1", "cognito:groups": "[organisers]"}, "scopes": None}
    }


def test_cookies_move_out_of_the_headers_and_absent_parts_are_absent():
    event = build_http_event(
        method="GET",
        path="/me",
        route_key="GET /me",
        headers={"Cookie": "a=1; b=2", "Host": "localhost:3000"},
    )

    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    for absent in ("queryStringParameters", "pathParameters", "body"):
        assert absent not in event
    assert "authorizer" not in event["requestContext"]  # no claims on routes without the authorizer
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["domainName"] == "localhost:3000"


def test_binary_and_non_utf8_bodies_are_base64_encoded():
    png = b"\x89PNG\r\n\x1a\n\x00"
    binary = build_http_event(
        method="PUT", path="/f", route_key="PUT /f", headers={"content-type": "image/png"}, body=png
    )
    latin1 = build_http_event(
        method="POST",
        path="/f",
        route_key="POST /f",
        headers={"content-type": "text/plain"},
        body="café".encode("latin-1"),
    )
    text = build_http_event(
        method="POST",
        path="/f",
        route_key="POST /f",
        headers={"content-type": "application/merge-patch+json"},
        body=b"{}",
    )

    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == png
    assert latin1["isBase64Encoded"] is True
    assert text == text | {"isBase64Encoded": False, "body": "{}"}


def test_full_response_with_headers_cookies_and_base64_body():
    status, headers, body = http_response(
        {
            "statusCode": 201,
            "headers": {"content-type": "application/octet-stream", "location": "/x/1"},
            "multiValueHeaders": {"x-many": ["1", "2"]},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        }
    )

    assert status == 201
    assert ("location", "/x/1") in headers
    assert [v for k, v in headers if k == "x-many"] == ["1", "2"]
    assert [v for k, v in headers if k == "Set-Cookie"] == ["a=1; Path=/", "b=2"]
    assert body == b"\x00\x01"


def test_inferred_responses_are_200_json():
    assert http_response({"items": []}) == (200, [("Content-Type", "application/json")], b'{"items": []}')
    assert http_response([1, 2])[2] == b"[1, 2]"
    assert http_response("hello")[2] == b"hello"
    status, _, body = http_response({"statusCode": 204})
    assert (status, body) == (204, b"")
    assert json.loads(http_response({"statusCode": 200, "body": '{"a": 1}'})[2]) == {"a": 1}
