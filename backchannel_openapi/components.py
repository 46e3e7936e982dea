"""The document's shared schemas: a problem, API Gateway's own answer and a fair limit's 429."""

from __future__ import annotations

from typing import Any


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "An RFC 9457 problem document (media type application/problem+json).",
        "required": ["type", "status", "title", "detail"],
        "properties": {
            "type": {"type": "string", "description": "always about:blank", "examples": ["about:blank"]},
            "status": {"type": "integer", "description": "the HTTP status code"},
            "title": {"type": "string", "description": "a short summary of the kind of problem"},
            "detail": {"type": "string", "description": "what went wrong with this request"},
            "importId": {
                "type": "string",
                "description": "a schedule import's refusal: the id of its record, which lists every problem",
            },
            "errors": {
                "type": "array",
                "description": "every field at fault (validation problems)",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {
                        "field": {"type": "string", "description": "e.g. name, speakers[0].link, body"},
                        "message": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            },
        },
    }


def gateway_message_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "API Gateway's own answer, before any function runs (e.g. its JWT authorizer's 401).",
        "required": ["message"],
        "properties": {"message": {"type": "string", "examples": ["Unauthorized"]}},
    }


def rate_limited_schema() -> dict[str, Any]:
    return {
        "description": "A problem document (429) naming the fair limit the caller reached.",
        "allOf": [
            ref("schemas", "Problem"),
            {
                "type": "object",
                "required": ["limit", "rate", "window", "retryAfter"],
                "properties": {
                    "limit": {
                        "type": "string",
                        "description": "the class of the limit",
                        "examples": ["posts"],
                    },
                    "rate": {"type": "integer", "description": "requests allowed per window"},
                    "window": {"type": "integer", "description": "the window, in seconds"},
                    "retryAfter": {"type": "integer", "description": "as the Retry-After header"},
                },
            },
        ],
    }
