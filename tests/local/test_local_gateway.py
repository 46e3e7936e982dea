"""The gateway over real HTTP, on the fixture template running on a moto server (local.gateway)."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm
from moto.utilities.utils import load_resource

from tests.support.runtime import http


def _echo(reply):
    assert reply.status == 200, reply.body
    return reply.json


def _forge(claims: dict, **overrides) -> str:
    """A token signed with moto's own Cognito key (so only the claims can make it invalid)."""
    private = load_resource("cognitoidp/resources/jwks-private.json")
    key = RSAAlgorithm.from_jwk(json.dumps(private))
    return jwt.encode({**claims, **overrides}, key, algorithm="RS256", headers={"kid": "dummy"})


def _echo_invocations(runtime) -> int:
    return runtime.runtimes["EchoFunction"].invocations


# ------------------------------------------------------------------------------------------------
# Routing, events and responses
# ------------------------------------------------------------------------------------------------
def test_public_route_gets_a_v2_event_with_path_query_cookies_and_no_claims(local_runtime, signed_in):
    token = signed_in("alice")["token"]
    reply = http(
        "GET",
        f"{local_runtime.url}/public/p%201?tag=a&tag=b",
        headers={"Cookie": "c1=1; c2=2", "Authorization": f"Bearer {token}", "X-Custom": "yes"},
    )

    body = _echo(reply)
    event = body["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /public/{id}"
    assert event["rawPath"] == "/public/p%201"
    assert event["pathParameters"] == {"id": "p 1"}
    assert event["queryStringParameters"] == {"tag": "a,b"}
    assert event["cookies"] == ["c1=1", "c2=2"]
    assert event["headers"]["x-custom"] == "yes"
    assert event["headers"]["authorization"] == f"Bearer {token}"  # reaches the function ...
    assert "authorizer" not in event["requestContext"]  # ... but a public route gets no claims
    assert event["requestContext"]["apiId"] == local_runtime.local_stack.physical_id("Api")
    assert event["requestContext"]["stage"] == "$default"
    assert body["function"] == "backchannel-local-EchoFunction"
    assert 0 < body["remainingMs"] <= 5000
    # the function's response: base64 body decoded, cookies as Set-Cookie, multi-value headers
    assert reply.all("Set-Cookie") == ["session=abc; HttpOnly", "theme=dark"]
    assert reply.all("x-multi") == ["one", "two"]
    assert reply.headers["apigw-requestid"] == event["requestContext"]["requestId"]


def test_unknown_route_is_404_not_found(local_runtime):
    for method, path in (("GET", "/nope"), ("DELETE", "/private"), ("GET", "/public/")):
        reply = http(method, f"{local_runtime.url}{path}")
        assert (reply.status, reply.json) == (404, {"message": "Not Found"})


def test_a_failing_function_is_a_500_internal_server_error(local_runtime):
    reply = http("GET", f"{local_runtime.url}/boom")

    assert (reply.status, reply.json) == (500, {"message": "Internal Server Error"})


def test_a_result_without_status_code_is_inferred_as_200_json(local_runtime):
    reply = http("GET", f"{local_runtime.url}/raw")

    assert (reply.status, reply.headers["content-type"], reply.json) == (
        200,
        "application/json",
        {"just": "data"},
    )


def test_binary_request_body_arrives_base64_encoded(local_runtime, signed_in):
    token = signed_in("alice")["token"]
    reply = http(
        "POST",
        f"{local_runtime.url}/private",
        headers={
            "Authorization": token,
            "Content-Type": "application/octet-stream",
        },  # no "Bearer": also accepted
        body=b"\xff\x00binary",
    )

    event = _echo(reply)["event"]
    assert event["isBase64Encoded"] is True
    import base64

    assert base64.b64decode(event["body"]) == b"\xff\x00binary"


def test_greedy_path_and_any_method(local_runtime):
    reply = http("DELETE", f"{local_runtime.url}/files/a/b.txt")

    assert _echo(reply)["pathParameters"] == {"proxy": "a/b.txt"}


# ------------------------------------------------------------------------------------------------
# JWT authorizer
# ------------------------------------------------------------------------------------------------
def test_a_token_from_the_pool_is_accepted_and_claims_are_flattened(local_runtime, signed_in):
    user = signed_in("olivia", organiser=True)
    reply = http("GET", f"{local_runtime.url}/private", headers={"Authorization": f"Bearer {user['token']}"})

    claims = _echo(reply)["event"]["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["cognito:groups"] == "[organisers]"
    assert claims["client_id"] == local_runtime.outputs["UserPoolClientId"]
    assert claims["username"] == "olivia"
    assert claims["token_use"] == "access"
    assert claims["exp"].isdigit()  # numbers become strings
    assert all(isinstance(v, str) for v in claims.values())


def test_an_id_token_is_accepted_too(local_runtime, signed_in):
    user = signed_in("alice")
    reply = http(
        "GET", f"{local_runtime.url}/private", headers={"Authorization": f"Bearer {user['id_token']}"}
    )

    claims = _echo(reply)["event"]["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["token_use"] == "id"
    assert claims["aud"] == local_runtime.outputs["UserPoolClientId"]


def _valid_claims(runtime, signed_in) -> dict:
    token = signed_in("alice")["token"]
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize(
    "case",
    ["missing", "empty", "garbage", "tampered", "expired", "wrong_client", "wrong_issuer", "refresh_use"],
)
def test_bad_tokens_get_401_without_invoking_the_function(local_runtime, signed_in, case):
    claims = _valid_claims(local_runtime, signed_in)
    good = signed_in("alice")["token"]
    other_client = local_runtime.outputs["OtherClientId"]
    tokens = {
        "missing": None,
        "empty": "Bearer ",
        "garbage": "Bearer not.a.token",
        "tampered": "Bearer " + _tamper(good),
        "expired": "Bearer " + _forge(claims, exp=int(time.time()) - 5),
        "wrong_client": "Bearer " + _forge(claims, client_id=other_client),
        "wrong_issuer": "Bearer "
        + _forge(claims, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
        "refresh_use": "Bearer " + _forge(claims, token_use="refresh"),
    }
    before = _echo_invocations(local_runtime)
    headers = {"Authorization": tokens[case]} if tokens[case] else {}

    reply = http("GET", f"{local_runtime.url}/private", headers=headers)

    assert (reply.status, reply.json) == (401, {"message": "Unauthorized"})
    assert _echo_invocations(local_runtime) == before


def test_a_forged_but_correct_token_is_accepted(local_runtime, signed_in):
    """Control for the cases above: the forging itself produces valid tokens."""
    claims = _valid_claims(local_runtime, signed_in)
    reply = http("GET", f"{local_runtime.url}/private", headers={"Authorization": "Bearer " + _forge(claims)})

    assert reply.status == 200


def test_a_token_from_another_client_signed_in_for_real_is_rejected(local_runtime, signed_in):
    import boto3

    signed_in("alice")  # exists, with a known password below
    from local.user import create_user

    user = create_user(local_runtime.outputs, "bob", password="Passw0rd-bob-123")
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    other = cognito.initiate_auth(
        ClientId=local_runtime.outputs["OtherClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bob", "PASSWORD": user["password"]},
    )["AuthenticationResult"]["AccessToken"]

    reply = http("GET", f"{local_runtime.url}/private", headers={"Authorization": f"Bearer {other}"})

    assert reply.status == 401


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["username"] = "mallory"
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    return f"{header}.{forged}.{signature}"


# ------------------------------------------------------------------------------------------------
# CORS
# ------------------------------------------------------------------------------------------------
def test_preflight_is_answered_from_the_cors_configuration(local_runtime):
    before = _echo_invocations(local_runtime)
    reply = http(
        "OPTIONS",
        f"{local_runtime.url}/private",
        headers={
            "Origin": "https://app.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )

    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == "https://app.example.org"
    assert reply.headers["access-control-allow-methods"] == "GET,POST"
    assert reply.headers["access-control-allow-headers"] == "authorization,content-type"
    assert reply.headers["access-control-max-age"] == "300"
    assert _echo_invocations(local_runtime) == before  # API Gateway answers it alone


def test_cors_headers_on_responses_replace_the_functions_own(local_runtime):
    allowed = http("GET", f"{local_runtime.url}/public/x", headers={"Origin": "https://app.example.org"})
    other = http("GET", f"{local_runtime.url}/public/x", headers={"Origin": "https://evil.example"})

    assert allowed.all("access-control-allow-origin") == ["https://app.example.org"]
    assert allowed.headers["access-control-expose-headers"] == "etag"
    assert other.all("access-control-allow-origin") == []  # the function's "*" is not passed on
    unauthorised = http("GET", f"{local_runtime.url}/private", headers={"Origin": "https://app.example.org"})
    assert unauthorised.headers["access-control-allow-origin"] == "https://app.example.org"


# ------------------------------------------------------------------------------------------------
# Local-only paths
# ------------------------------------------------------------------------------------------------
def test_health(local_runtime):
    reply = http("GET", f"{local_runtime.url}/_local/health")

    assert reply.status == 200
    assert reply.json["status"] == "ok"
    assert "GET /public/{id}" in reply.json["routes"]


def test_openapi_and_docs(local_runtime, tmp_path):
    gateway = local_runtime.gateway
    missing = http("GET", f"{local_runtime.url}/openapi.json")
    assert missing.status == 404
    assert "openapi.json" in missing.json["message"]

    document = {"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "paths": {"/x": {"get": {}}}}
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    gateway.openapi_path = tmp_path / "openapi.json"
    served = http("GET", f"{local_runtime.url}/openapi.json").json
    assert served["paths"] == document["paths"]
    assert served["servers"][0]["url"] == local_runtime.url

    page = http("GET", f"{local_runtime.url}/docs")
    assert page.status == 200
    assert b"/openapi.json" in page.body
    assert b"http" not in page.body.replace(b"http-equiv", b"")  # no CDN: every asset is local
    for asset in (b"/docs/swagger-ui-bundle.js", b"/docs/swagger-ui.css"):
        assert asset in page.body
        assert http("GET", f"{local_runtime.url}{asset.decode()}").status == 200


def test_add_route_mounts_an_extra_wsgi_app(local_runtime):
    def mail(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"mail at {environ['PATH_INFO']}".encode()]

    local_runtime.gateway.add_route("GET", "/_local/extra", mail)

    reply = http("GET", f"{local_runtime.url}/_local/extra/inbox")
    assert (reply.status, reply.body) == (200, b"mail at /_local/extra/inbox")
    assert http("POST", f"{local_runtime.url}/_local/extra/inbox").status == 404
