"""The local WebSocket API: what an ``AWS::ApiGatewayV2::Api`` with ``ProtocolType: WEBSOCKET`` does.

It reads the template's WebSocket APIs (their routes, integrations, route responses and stage) and
serves each on ``ws://host:port`` (any path). For every client it builds API Gateway's WebSocket event
shapes and invokes the route's function in-process:

* the handshake invokes ``$connect`` (``queryStringParameters``, headers); a non-2xx status, or an
  exception, refuses the connection with that status;
* each message is routed by the API's ``RouteSelectionExpression`` (``$request.body.<field>``) to its
  route, else ``$default``; with a route response, the function's ``body`` is sent back to the client;
  no matching route answers ``{"message": "Forbidden", ...}`` as API Gateway does;
* closing invokes ``$disconnect``.

It also serves the management API that functions reach through their configured endpoint
(``https://<api>.execute-api.<region>.amazonaws.com/<stage>``), on ``http://host:<management port>``:
``POST /@connections/{id}`` (send), ``GET`` (describe), ``DELETE`` (close), with or without the stage
prefix; an unknown connection is ``410 GoneException``, like AWS. The runtime points the functions at
it by rewriting that endpoint in their local environment (:meth:`WebSocketGateway.start`): production
code has no local special case.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.serving import BaseWSGIServer, make_server

from local.lambdas import FunctionRuntime
from local.provision import LocalStack

__all__ = ["WebSocketApiSpec", "WebSocketGateway", "start_websocket_gateway", "websocket_apis"]

log = logging.getLogger("local.websocket")

_SELECTION = re.compile(r"^\$request\.body\.([A-Za-z0-9_.]+)$")
_MANAGEMENT_PATH = re.compile(r"^(?:/[^/@]+)?/@connections/([^/]+)/?$")


@dataclass
class WebSocketApiSpec:
    """A WebSocket API of the template: route key -> function logical id, and where it lives."""

    logical_id: str
    api_ref: str  # what Ref returns locally (appears in the functions' endpoint settings)
    stage: str
    selection_field: str
    routes: dict[str, str] = field(default_factory=dict)
    route_responses: set[str] = field(default_factory=set)


def websocket_apis(local_stack: LocalStack) -> list[WebSocketApiSpec]:
    """Read the template's WebSocket APIs, resolving each route's integration to a function."""
    stack = local_stack.stack
    resources = stack.template.get("Resources") or {}
    by_arn = {spec.arn: logical for logical, spec in local_stack.functions.items()}

    def props(logical_id: str) -> dict[str, Any]:
        return stack.resolve(resources[logical_id].get("Properties") or {})

    def of_type(kind: str) -> list[str]:
        return [
            lid for lid, res in resources.items() if res.get("Type") == kind and stack.resource_enabled(lid)
        ]

    apis = []
    for api_id in of_type("AWS::ApiGatewayV2::Api"):
        api_props = props(api_id)
        if str(api_props.get("ProtocolType", "")).upper() != "WEBSOCKET":
            continue
        ref = local_stack.physical_id(api_id)
        selection = _SELECTION.match(str(api_props.get("RouteSelectionExpression", "")))
        stages = [
            props(s).get("StageName")
            for s in of_type("AWS::ApiGatewayV2::Stage")
            if props(s).get("ApiId") == ref
        ]
        spec = WebSocketApiSpec(
            api_id,
            ref,
            str(stages[0] if stages else "$default"),
            selection.group(1) if selection else "action",
        )
        integrations = {
            local_stack.physical_id(i): props(i)
            for i in of_type("AWS::ApiGatewayV2::Integration")
            if props(i).get("ApiId") == ref
        }
        route_ids: dict[str, str] = {}
        for route_id in of_type("AWS::ApiGatewayV2::Route"):
            route = props(route_id)
            if route.get("ApiId") != ref:
                continue
            target = str(route.get("Target", "")).removeprefix("integrations/")
            uri = str((integrations.get(target) or {}).get("IntegrationUri", ""))
            function = next((logical for arn, logical in by_arn.items() if arn and arn in uri), None)
            if function is None:
                log.warning("%s: route %s has no local function; skipped", api_id, route.get("RouteKey"))
                continue
            spec.routes[str(route["RouteKey"])] = function
            route_ids[local_stack.physical_id(route_id)] = str(route["RouteKey"])
        for response_id in of_type("AWS::ApiGatewayV2::RouteResponse"):
            response = props(response_id)
            if response.get("ApiId") == ref and response.get("RouteId") in route_ids:
                spec.route_responses.add(route_ids[response["RouteId"]])
        apis.append(spec)
    return apis


class _Client:
    def __init__(self, connection: Any, connection_id: str, source_ip: str) -> None:
        self.connection = connection
        self.id = connection_id
        self.source_ip = source_ip
        self.connected_at = time.time()
        self.last_active_at = self.connected_at
        self.lock = threading.Lock()

    def send(self, data: str | bytes) -> None:
        with self.lock:
            self.connection.send(data)


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _new_connection_id() -> str:
    return secrets.token_urlsafe(9)[:11] + "="  # shaped like API Gateway's, e.g. "L0hRLc4GoAMCK1Q="


@dataclass(eq=False)
class WebSocketGateway:
    """One WebSocket API on ``ws://host:port`` plus its management API on ``http://host:mgmt port``
    (port 0: a free one, known once started)."""

    local_stack: LocalStack = field(repr=False)
    runtimes: dict[str, FunctionRuntime] = field(repr=False)
    api: WebSocketApiSpec
    host: str = "127.0.0.1"
    port: int = 0
    management_port: int = 0
    clients: dict[str, _Client] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _server: Any = field(default=None, init=False, repr=False)
    _management: BaseWSGIServer | None = field(default=None, init=False, repr=False)
    _threads: list[threading.Thread] = field(default_factory=list, init=False, repr=False)

    # ----------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/{self.api.stage}"

    @property
    def management_url(self) -> str:
        """What functions use as the endpoint (with the stage, as on AWS)."""
        return f"http://{self.host}:{self.management_port}/{self.api.stage}"

    @property
    def _remote_host(self) -> str:
        return f"{self.api.api_ref}.execute-api.{self.local_stack.region}.amazonaws.com"

    def localise(self, value: str) -> str:
        """Map the API's AWS addresses (wss:// and the https:// management endpoint) to local ones."""
        value = value.replace(f"wss://{self._remote_host}/{self.api.stage}", self.url)
        value = value.replace(f"wss://{self._remote_host}", f"ws://{self.host}:{self.port}")
        return value.replace(f"https://{self._remote_host}", f"http://{self.host}:{self.management_port}")

    def start(self) -> WebSocketGateway:
        from websockets.sync.server import serve

        logging.getLogger("websockets").setLevel(logging.WARNING)
        werkzeug_log = logging.getLogger("werkzeug")
        if werkzeug_log.level == logging.NOTSET:
            werkzeug_log.setLevel(logging.WARNING)
        self._server = serve(self._session, self.host, self.port, process_request=self._handshake)
        self.port = self._server.socket.getsockname()[1]
        self._management = make_server(self.host, self.management_port, self._management_app, threaded=True)
        self.management_port = self._management.server_port
        for name, target in (
            ("local-websocket", self._server.serve_forever),
            ("local-connections", self._management.serve_forever),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        # Functions configured with the API's management endpoint reach this one instead.
        for spec in self.local_stack.functions.values():
            spec.environment = {k: self.localise(v) for k, v in spec.environment.items()}
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        management, self._management = self._management, None
        if server is not None:
            server.shutdown()
        if management is not None:
            management.shutdown()
            management.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    # ----------------------------------------------------------------------------------------
    # the WebSocket side
    # ----------------------------------------------------------------------------------------
    def _context(
        self, route: str, event_type: str, client_id: str, connected_at: float, source_ip: str
    ) -> dict[str, Any]:
        now = time.time()
        return {
            "routeKey": route,
            "eventType": event_type,
            "messageDirection": "IN",
            "extendedRequestId": uuid.uuid4().hex[:16],
            "requestTime": dt.datetime.fromtimestamp(now, dt.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "stage": self.api.stage,
            "connectedAt": int(connected_at * 1000),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": source_ip},
            "requestId": uuid.uuid4().hex[:16],
            "domainName": f"{self.host}:{self.port}",
            "connectionId": client_id,
            "apiId": self.api.api_ref,
        }

    def _invoke(self, route: str, event: dict[str, Any]) -> Any:
        function = self.api.routes[route]
        return self.runtimes[function].invoke(event)

    def _handshake(self, connection: Any, request: Any) -> Any:
        client_id = _new_connection_id()
        source_ip = (connection.remote_address or ("127.0.0.1",))[0]
        connection.backchannel_client = _Client(connection, client_id, source_ip)
        if "$connect" not in self.api.routes:
            return None
        query = dict(parse_qsl(urlsplit(request.path).query, keep_blank_values=True))
        headers = {k: v for k, v in request.headers.raw_items()}
        event: dict[str, Any] = {
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "requestContext": self._context("$connect", "CONNECT", client_id, time.time(), source_ip),
            "isBase64Encoded": False,
        }
        if query:
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
        try:
            result = self._invoke("$connect", event)
        except Exception:
            log.exception("$connect failed")
            return connection.respond(500, "Internal server error\n")
        status = int(result.get("statusCode", 200)) if isinstance(result, dict) else 200
        if not 200 <= status < 300:
            body = result.get("body") if isinstance(result, dict) else None
            return connection.respond(status, str(body or "") + "\n")
        return None

    def _session(self, connection: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        client: _Client = connection.backchannel_client
        with self._lock:
            self.clients[client.id] = client
        try:
            for message in connection:
                client.last_active_at = time.time()
                self._message(client, message)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self.clients.pop(client.id, None)
            if "$disconnect" in self.api.routes:
                context = self._context(
                    "$disconnect", "DISCONNECT", client.id, client.connected_at, client.source_ip
                )
                context["disconnectStatusCode"] = connection.close_code or 1006
                context["disconnectReason"] = connection.close_reason or ""
                try:
                    self._invoke(
                        "$disconnect", {"headers": {}, "requestContext": context, "isBase64Encoded": False}
                    )
                except Exception:
                    log.exception("$disconnect failed")

    def _message(self, client: _Client, message: str | bytes) -> None:
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        route = "$default"
        with contextlib.suppress(ValueError, RecursionError):  # API Gateway routes it to $default
            data = json.loads(text)
            if isinstance(data, dict):
                value = data
                for part in self.api.selection_field.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if isinstance(value, str) and value in self.api.routes and not value.startswith("$"):
                    route = value
        context = self._context(route, "MESSAGE", client.id, client.connected_at, client.source_ip)
        context["messageId"] = uuid.uuid4().hex[:16]
        if route not in self.api.routes:
            client.send(
                json.dumps(
                    {"message": "Forbidden", "connectionId": client.id, "requestId": context["requestId"]}
                )
            )
            return
        try:
            result = self._invoke(route, {"requestContext": context, "body": text, "isBase64Encoded": False})
        except Exception:
            log.exception("%s failed", route)
            client.send(
                json.dumps(
                    {
                        "message": "Internal server error",
                        "connectionId": client.id,
                        "requestId": context["requestId"],
                    }
                )
            )
            return
        if route in self.api.route_responses and isinstance(result, dict) and result.get("body"):
            client.send(str(result["body"]))

    # ----------------------------------------------------------------------------------------
    # the management API (@connections)
    # ----------------------------------------------------------------------------------------
    def _management_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, body, headers = self._manage(environ)
        start_response(
            f"{status} {_REASONS.get(status, 'OK')}", [("Content-Type", "application/json"), *headers]
        )
        return [body]

    def _manage(self, environ: dict[str, Any]) -> tuple[int, bytes, list[tuple[str, str]]]:
        from websockets.exceptions import ConnectionClosed

        found = _MANAGEMENT_PATH.match(environ.get("PATH_INFO", ""))
        if found is None:
            return 404, b'{"message":"Not Found"}', []
        with self._lock:
            client = self.clients.get(found.group(1))
        gone = (
            410,
            json.dumps({"message": f"connection {found.group(1)} is gone"}).encode(),
            [("x-amzn-ErrorType", "GoneException")],
        )
        if client is None:
            return gone
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            data = environ["wsgi.input"].read(length) if length else b""
            try:
                client.send(data.decode("utf-8"))
            except UnicodeDecodeError:
                client.send(data)
            except ConnectionClosed:
                return gone
            return 200, b"", []
        if method == "DELETE":
            client.connection.close()
            return 204, b"", []
        if method == "GET":
            doc = {
                "connectedAt": _iso(client.connected_at),
                "lastActiveAt": _iso(client.last_active_at),
                "identity": {"sourceIp": client.source_ip, "userAgent": ""},
            }
            return 200, json.dumps(doc).encode(), []
        return 405, b'{"message":"Method Not Allowed"}', []


_REASONS = {200: "OK", 204: "No Content", 404: "Not Found", 405: "Method Not Allowed", 410: "Gone"}


def start_websocket_gateway(
    local_stack: LocalStack, runtimes: dict[str, FunctionRuntime], host: str = "127.0.0.1", port: int = 0
) -> WebSocketGateway | None:
    """Serve the template's WebSocket API (the first, if several), or None when it has none."""
    apis = websocket_apis(local_stack)
    if not apis:
        return None
    if len(apis) > 1:
        log.warning("only the first WebSocket API (%s) is served locally", apis[0].logical_id)
    return WebSocketGateway(local_stack, runtimes, apis[0], host, port).start()
