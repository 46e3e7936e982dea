"""openapi.json is generated from the code: the committed file must match what the generator prints."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from backchannel_openapi import build_document, render

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "openapi.json"


@pytest.fixture(scope="module")
def generated() -> str:
    return render(ROOT / "template.yaml")


def test_committed_openapi_json_is_up_to_date(generated):
    assert COMMITTED.exists(), "openapi.json is missing: run `make openapi`"
    assert COMMITTED.read_text(encoding="utf-8") == generated, (
        "openapi.json is out of date with the routes, schemas or template: run `make openapi`"
    )


def test_generation_is_deterministic(generated):
    assert render(ROOT / "template.yaml") == generated


def test_document_is_valid_openapi_3_1(generated):
    validator = pytest.importorskip("openapi_spec_validator")
    doc = json.loads(generated)
    assert doc["openapi"].startswith("3.1")
    validator.validate(doc)


def test_every_post_documents_the_idempotency_key():
    doc = build_document(ROOT / "template.yaml")
    key = {"$ref": "#/components/parameters/IdempotencyKey"}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert (key in op.get("parameters", [])) == (method == "post"), f"{method.upper()} {path}"


def test_protected_routes_require_a_bearer_token_and_document_401():
    doc = build_document(ROOT / "template.yaml")
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert {"bearerAuth": []} in op["security"], f"{method.upper()} {path}"
            assert "401" in op["responses"], f"{method.upper()} {path}"
            if "requestBody" in op:
                missing = {"400", "413", "415", "422"} - set(op["responses"])
                assert not missing, f"{method.upper()} {path} lacks {sorted(missing)}"


def test_401_documents_the_gateways_body_beside_the_problem():
    """Protected routes are refused by API Gateway's JWT authorizer with {"message": "Unauthorized"}
    as application/json, public ones by the function with a problem document."""
    doc = build_document(ROOT / "template.yaml")
    content = doc["components"]["responses"]["Problem401"]["content"]
    assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/GatewayMessage"}
    assert doc["components"]["schemas"]["GatewayMessage"]["required"] == ["message"]


def test_a_replayed_request_is_documented_as_200_with_what_the_first_made():
    doc = build_document(ROOT / "template.yaml")
    replayed = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            if method == "post" and "200" in responses and ({"201", "202"} & set(responses)):
                first = responses["201"] if "201" in responses else responses["202"]
                assert responses["200"]["content"] == first["content"], f"POST {path}"
                replayed[path] = op["operationId"]
    assert {
        "/events/{eventId}/posts",
        "/sessions/{sessionId}/notes",
        "/sessions/{sessionId}/questions",
        "/questions/{questionId}/votes",
        "/me/follows",
        "/packs/{packId}/publish",
    } <= set(replayed)


def test_a_path_parameter_the_route_checks_is_documented_with_its_pattern():
    """The revoked publication's version: what the route refuses (422, tests/integration/circulation)
    the document's pattern refuses too."""
    doc = build_document(ROOT / "template.yaml")
    params = doc["paths"]["/packs/{packId}/publications/{version}"]["delete"]["parameters"]
    pattern = next(p["schema"]["pattern"] for p in params if p["name"] == "version")
    assert [v for v in ("1", "12", "01", "0", " 1", "1.0", "x") if re.fullmatch(pattern, v)] == ["1", "12"]


def test_every_pattern_is_one_a_fuzzer_can_use():
    """schemathesis drops a pattern its Rust regex engine cannot compile (a range of surrogates did),
    and then generates values the service refuses."""
    patterns = pytest.importorskip("schemathesis.core.jsonschema.patterns")
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                found.append(node["pattern"])
            node = list(node.values())
        for child in node if isinstance(node, list) else ():
            walk(child)

    walk(json.loads(COMMITTED.read_text(encoding="utf-8")))
    assert len(found) > 5
    assert [p for p in found if patterns.enforced_pattern(p) is None] == []
