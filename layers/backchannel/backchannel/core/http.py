"""The HTTP edge: one resolver per function, problem+json errors, JSON bodies, paging, idempotency.

Domain errors become responses here and only here. Route functions stay thin: registered and described
at once by the resolver's verb decorators (:class:`Api`), they read the caller and the input with these
helpers, call one domain function, and return :func:`ok`, :func:`created`, :func:`page` or
:func:`no_content`. :func:`lambda_handler` is the function's handler.
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths

from backchannel.core import request_scope
from backchannel.core.auth import resolve_caller
from backchannel.core.config import get_config, on_reset
from backchannel.core.errors import (
    BadRequest,
    DomainError,
    FieldError,
    IdempotencyMismatch,
    PayloadTooLarge,
    Problem,
    RequestInProgress,
    UnsupportedMediaType,
    ValidationFailed,
)
from backchannel.core.model import Caller, Page
from backchannel.core.observability import logger, metrics
from backchannel.core.routes import Api
from backchannel.core.validation import Obj

PROBLEM = "application/problem+json"
JSON = "application/json"


def problem_response(
    status: int,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    *,
    members: dict | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    doc = Problem(status, title, detail, errors or [], members or {}).to_dict()
    body = json.dumps(doc, ensure_ascii=False)
    return Response(status_code=status, content_type=PROBLEM, body=body, headers=headers or {})


def make_app() -> Api:
    """A resolver with the error handling every function shares."""
    app = Api()

    @app.exception_handler(DomainError)
    def _domain_error(err: DomainError) -> Response:
        errors = getattr(err, "errors", None)
        if errors is None and "field" in err.extra:
            errors = [FieldError(str(err.extra["field"]), err.detail)]
        return problem_response(
            err.status, err.title, err.detail, errors, members=err.members, headers=err.headers
        )

    @app.not_found
    def _not_found(_: NotFoundError) -> Response:
        return problem_response(404, "Not found", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(err: Exception) -> Response:
        logger.exception("unhandled error")
        metrics.add_metric(name="UnhandledErrors", unit="Count", value=1)
        return problem_response(500, "Internal error", "something went wrong on our side; it has been logged")

    return app


# ---------------------------------------------------------------------------------------------------
# reading a request
# ---------------------------------------------------------------------------------------------------


def base_url(app: APIGatewayHttpResolver) -> str:
    """The API's absolute address as this request reached it ("" when unknown: relative links)."""
    from backchannel.feeds import base_url as from_context

    context = app.current_event.raw_event.get("requestContext") or {}
    return from_context(context.get("domainName"), context.get("stage"))


def caller(app: APIGatewayHttpResolver) -> Caller:
    found = resolve_caller(app.current_event.raw_event, required=True)
    assert found is not None
    return found


def optional_caller(app: APIGatewayHttpResolver) -> Caller | None:
    return resolve_caller(app.current_event.raw_event, required=False)


def query(app: APIGatewayHttpResolver, name: str) -> str | None:
    """A query parameter; None when it is absent or empty."""
    return (app.current_event.query_string_parameters or {}).get(name) or None


def header(app: APIGatewayHttpResolver, name: str) -> str | None:
    """A request header, whatever the case of its name (``name`` in lower case)."""
    headers = app.current_event.raw_event.get("headers") or {}
    return next((v for k, v in headers.items() if k.lower() == name), None)


def raw_body(event: dict) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("body is not valid base64") from None
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def json_body(
    app: APIGatewayHttpResolver,
    schema: Obj,
    *,
    partial: bool = False,
    allow_empty: bool = False,
    max_bytes: int | None = None,
) -> dict:
    """The request's JSON body validated against ``schema``: 415, 413, 400 or 422 when it is not right.
    ``max_bytes``: a route's own limit on the body (else the configured ``max_body_bytes``)."""
    event = app.current_event.raw_event
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    data = raw_body(event)
    limit = max_bytes or get_config().max_body_bytes
    if len(data) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    if not data.strip():
        if allow_empty:
            return schema.validate({}, partial=partial) if not partial else {}
        raise BadRequest("a JSON body is required", field="body")
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != JSON and not (ctype.startswith("application/") and ctype.endswith("+json")):
        raise UnsupportedMediaType("send the body as application/json")
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8", field="body") from None
    except json.JSONDecodeError as err:
        raise BadRequest(
            f"the body is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from None
    except RecursionError:  # the parser recurses per level: '[' * 5000 would otherwise be a 500
        raise BadRequest("the body's JSON is nested too deeply", field="body") from None
    return schema.validate(value, partial=partial)


def body(
    app: APIGatewayHttpResolver, schema: Obj, *, partial: bool = False, max_bytes: int | None = None
) -> Callable[[], dict]:
    """The JSON body as a thunk for the domain (``core.model.read_input``): validated by
    :func:`json_body` only once the domain has authorised the caller."""
    return lambda: json_body(app, schema, partial=partial, max_bytes=max_bytes)


def page_args(app: APIGatewayHttpResolver) -> tuple[int, str | None]:
    cfg = get_config()
    query = app.current_event.query_string_parameters or {}
    raw_limit = query.get("limit")
    limit = cfg.page_limit_default
    if raw_limit is not None:
        if not raw_limit.isascii() or not raw_limit.isdigit() or int(raw_limit) < 1:
            raise ValidationFailed(FieldError("limit", "must be a positive integer"))
        if int(raw_limit) > cfg.page_limit_max:  # refused, not capped: the documented maximum
            raise ValidationFailed(FieldError("limit", f"must be at most {cfg.page_limit_max}"))
        limit = int(raw_limit)
    cursor = query.get("cursor") or None
    return limit, cursor


# ---------------------------------------------------------------------------------------------------
# writing a response
# ---------------------------------------------------------------------------------------------------


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=JSON,
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        headers=headers or {},
    )


def html_page(title: str, text: str, *, status: int = 200, form_action: str | None = None) -> Response:
    """A small page for a person who followed a link (unsubscribe, a gone pack link): escaped text, no
    script, and a one-button form when ``form_action`` is given."""
    form = (
        f'<form method="post" action="{html.escape(form_action)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
        if form_action
        else ""
    )
    body = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width"><title>{html.escape(title)}</title>'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}</html>"
    )
    headers = {
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; form-action 'self'",
    }
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body, headers=headers)


def created(body: Any, location: str, *, new: bool = True, headers: dict[str, str] | None = None) -> Response:
    """201 with ``Location`` for what the request made; 200 without it for a replay of the request
    that made it (``new`` false: a client id or a vote seen before)."""
    if not new:
        return ok(body, 200, headers)
    return ok(body, 201, {**(headers or {}), "Location": location})


def no_content() -> Response:
    return Response(status_code=204, content_type=JSON, body="")


def page(result: Page, to_json: Callable[[Any], dict] | None = None) -> Response:
    """A page of items (each its ``to_json()`` unless ``to_json`` says otherwise) and the next cursor."""
    items = [to_json(x) if to_json else x.to_json() for x in result.items]
    return ok({"items": items, "nextCursor": result.next_cursor})


# ---------------------------------------------------------------------------------------------------
# idempotent POSTs
# ---------------------------------------------------------------------------------------------------


class _NotCacheable(Exception):
    """A 5xx or 429 answer: not stored, so a retry with the same key runs again."""

    def __init__(self, response: dict) -> None:
        super().__init__("not cacheable")
        self.response = response


@functools.cache
def _idempotent_runner(app: APIGatewayHttpResolver) -> Callable[..., dict]:
    # Built lazily on the first keyed POST: the persistence layer needs configuration and a client.
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    cfg = get_config()
    persistence = DynamoDBPersistenceLayer(table_name=cfg.require("idempotency_table_name"))
    config = IdempotencyConfig(
        event_key_jmespath="[caller, route, key]",
        payload_validation_jmespath="body",
        expires_after_seconds=cfg.idempotency_ttl_s,
        raise_on_no_idempotency_key=True,
    )

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)
    def run(*, request: dict, event: dict, context: Any) -> dict:
        response = app.resolve(event, context)
        status = int(response.get("statusCode", 200))
        if status >= 500 or status == 429:  # a retry after Retry-After must run
            raise _NotCacheable(response)
        return response

    def run_in(*, request: dict, event: dict, context: Any) -> dict:
        config.register_lambda_context(context)  # in-progress records expire with the invocation
        return run(request=request, event=event, context=context)

    return run_in


on_reset(_idempotent_runner.cache_clear)


def lambda_handler(app: APIGatewayHttpResolver) -> Callable[[dict, Any], dict]:
    """The function's handler: :func:`handle`, its logs keyed by the request id, its metrics flushed."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @metrics.log_metrics
    def handler(event: dict, context: Any) -> dict:
        return no_store(handle(app, event, context))

    return handler


def no_store(response: dict) -> dict:
    """``Cache-Control: no-store`` on a JSON answer that sets no caching of its own: what the API says
    to one caller (their inbox, a private event) must not be kept by a browser or a proxy; feeds and
    pages set their own."""
    headers = response.setdefault("headers", {})
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if content_type.split(";")[0].strip() in (JSON, PROBLEM) and not any(
        k.lower() == "cache-control" for k in headers
    ):
        headers["Cache-Control"] = "no-store"
    return response


def handle(app: APIGatewayHttpResolver, event: dict, context: Any) -> dict:
    """Resolve a request; a POST with an ``Idempotency-Key`` runs at most once per caller and key."""
    request_scope.begin()
    try:  # a token sent to a public route must be valid too: refused, never ignored
        resolve_caller(event, required=False)
    except DomainError as err:
        return _problem_dict(err.status, err.title, err.detail)
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    key = headers.get("idempotency-key")
    method = ((event.get("requestContext") or {}).get("http") or {}).get("method", "")
    if method != "POST" or key is None:
        return app.resolve(event, context)
    if not key.strip() or len(key) > 255:
        return _problem_dict(
            400, "Bad request", "Idempotency-Key must be 1 to 255 characters", "Idempotency-Key"
        )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims") or {}
    try:
        body = raw_body(event).decode("utf-8", errors="replace")
    except DomainError as err:
        return _problem_dict(err.status, err.title, err.detail)
    request = {
        "caller": claims.get("sub") or "anonymous",
        "route": f"POST {event.get('rawPath', '')}",
        "key": key,
        "body": body,
    }
    try:
        return _idempotent_runner(app)(request=request, event=event, context=context)
    except _NotCacheable as err:
        return err.response
    except IdempotencyValidationError:
        err = IdempotencyMismatch("this Idempotency-Key was already used with a different request body")
        return _problem_dict(err.status, err.title, err.detail, "Idempotency-Key")
    except IdempotencyAlreadyInProgressError:
        err = RequestInProgress("a request with this Idempotency-Key is still in progress; retry shortly")
        return _problem_dict(err.status, err.title, err.detail, "Idempotency-Key")


def _problem_dict(status: int, title: str, detail: str, field: str | None = None) -> dict:
    errors = [FieldError(field, detail)] if field else []
    return {
        "statusCode": status,
        "headers": {"Content-Type": PROBLEM},
        "body": json.dumps(Problem(status, title, detail, errors).to_dict()),
        "isBase64Encoded": False,
    }
