"""The WebSocket API's edge: an API Gateway WebSocket event in, a route response out.

``$connect`` takes an optional ``?token=`` (browsers cannot set headers on a WebSocket): a valid one
makes the connection its member's, an invalid one refuses the connection (401), none is anonymous.
``subscribe`` and ``unsubscribe`` take ``{"action": ..., "eventId": ...}`` or ``{..., "sessionId": ...}``
and answer ``{"type": "subscribed" | "unsubscribed", ...}`` (the routes' route responses send that to
the client); refusals answer ``{"type": "error", "status", "title", "detail"}``. ``$default`` (an
unknown action) answers a 400 error. A connection may subscribe and unsubscribe ``subscribe``-limit times per window
(``core.limits``: 429 with ``limit``, ``rate``, ``window`` and ``retryAfter``) and follow at most
``LIVE_MAX_TOPICS`` events and sessions at once (409).
"""

from __future__ import annotations

import json
from typing import Any

from backchannel.conference.store import ConferenceRepo
from backchannel.core import limits, request_scope
from backchannel.core.auth import caller_from_claims, verifier
from backchannel.core.config import get_config
from backchannel.core.errors import BadRequest, DomainError, FieldError, Problem
from backchannel.core.limits import Counter
from backchannel.core.observability import logger, metrics
from backchannel.live import rules
from backchannel.live.store import ConnectionsRepo

JSON = "application/json"
PROBLEM = "application/problem+json"


def _reply(status: int, doc: dict[str, Any], content_type: str = JSON) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": content_type}, "body": json.dumps(doc)}


def _error(err: DomainError) -> dict[str, Any]:
    errors = getattr(err, "errors", None)
    if errors is None and "field" in err.extra:
        errors = [FieldError(str(err.extra["field"]), err.detail)]
    doc = Problem(err.status, err.title, err.detail, errors or [], err.members).to_dict()
    doc["type"] = "error"
    return _reply(err.status, doc, PROBLEM)


def _message(event: dict[str, Any]) -> Any:
    body = event.get("body")
    if body is None or body == "":
        raise BadRequest('send a JSON object such as {"action": "subscribe", "eventId": "..."}')
    if event.get("isBase64Encoded"):
        import base64

        body = base64.b64decode(body).decode("utf-8", "replace")
    try:
        return json.loads(body)
    except ValueError:
        raise BadRequest("the message is not JSON") from None
    except RecursionError:
        raise BadRequest("the message's JSON is nested too deeply") from None


def handle(
    event: dict[str, Any], store: ConferenceRepo, conns: ConnectionsRepo, counter: Counter | None = None
) -> dict[str, Any]:
    """The route's answer; ``counter`` keeps the connections' subscribe counts (``core.limits``)."""
    request_scope.begin()
    context = event.get("requestContext") or {}
    route = str(context.get("routeKey") or "")
    connection_id = context.get("connectionId")
    cfg = get_config()
    logger.append_keys(route_key=route, connection_id=connection_id)
    try:
        if not connection_id:
            raise BadRequest("no connection id in the request context")
        if route == "$connect":
            token = (event.get("queryStringParameters") or {}).get("token")
            caller = caller_from_claims(verifier().verify(token)) if token else None
            rules.connect(conns, connection_id, caller, ttl_s=cfg.connection_ttl_s)
            metrics.add_metric(name="LiveConnections", unit="Count", value=1)
            return _reply(200, {"type": "connected"})
        if route == "$disconnect":
            rules.disconnect(conns, connection_id)
            return _reply(200, {"type": "disconnected"})
        if route in ("subscribe", "unsubscribe"):  # both write: one limit for the pair
            limits.charge("subscribe", connection_id, counter or limits.connection_counter())
        if route == "subscribe":
            reply = rules.subscribe(
                store,
                conns,
                connection_id,
                _message(event),
                ttl_s=cfg.connection_ttl_s,
                max_subscriptions=cfg.max_subscriptions,
            )
            metrics.add_metric(name="LiveSubscriptions", unit="Count", value=1)
            return _reply(200, reply)
        if route == "unsubscribe":
            return _reply(
                200, rules.unsubscribe(conns, connection_id, _message(event), ttl_s=cfg.connection_ttl_s)
            )
        _message(event)  # a message that is not JSON says so rather than "unknown action"
        raise BadRequest('unknown action: send {"action": "subscribe"} or {"action": "unsubscribe"}')
    except DomainError as err:
        logger.info("live request refused", extra={"status": err.status, "title": err.title})
        return _error(err)
