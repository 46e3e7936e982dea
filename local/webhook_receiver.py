"""``/_local/webhooks/<name>``: a webhook receiver on the gateway, to watch deliveries locally.

Register ``{gateway}/_local/webhooks/<any name>`` as a member's webhook channel and every delivery to
it is recorded here. The receiver behaves as the Standard Webhooks spec asks of one: it answers 2xx
quickly, and a repeated ``webhook-id`` (a retry of a delivery it already accepted) is answered 2xx
again and marked ``"duplicate": true``, since receivers deduplicate by that id. Failures can be
injected, to watch the sender retry, and signatures checked against the channel's secret.

    POST   /_local/webhooks/<name>          a delivery: recorded, answered 204 (or the injected failure)
    GET    /_local/webhooks/<name>          {"items": [...], "unique": <accepted deliveries, by webhook-id>}
    DELETE /_local/webhooks/<name>          forget the name: its deliveries, failures and secret
    POST   /_local/webhooks/<name>/fail     {"times": N, "status": 503}: the next N deliveries get that
                                            status (defaults 1 and 503; times 0 stops failing)
    PUT    /_local/webhooks/<name>/secret   {"secret": "whsec_..."}: check signatures from now on

Each item is ``{receivedAt, webhookId, headers, body, answered, duplicate}`` (headers with lower-case
names; the body parsed as JSON when it is JSON, else text), plus ``signatureValid`` once a secret is
set, judged by :func:`backchannel.circulation.webhooks.verify` (the sender's own rules, timestamp
tolerance included; null while the layer is not importable). A failed attempt is recorded with the
status it got (``"answered": 503``); ``duplicate`` means an earlier delivery with that id was
accepted, so a retry after a failure is not one. Items are oldest first, the newest ``max_items``
(1,000) per name. Everything is in memory and thread-safe: the gateway serves each request on its
own thread.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from local.wsgi import respond

if TYPE_CHECKING:
    from local.gateway import Gateway

__all__ = ["PATH", "ReceiverServer", "WebhookReceiver", "mount_webhook_receiver"]

PATH = "/_local/webhooks"
DEFAULT_MAX_ITEMS = 1000
MAX_BODY_BYTES = 1024 * 1024
_ROUTE = re.compile(rf"^{PATH}/(?P<name>[A-Za-z0-9._~-]{{1,128}})(?:/(?P<action>fail|secret))?/?$")
# The signing rules live with the sender, in the layer; `make run` puts the layer on sys.path
# when it first runs a function, so the module is imported on first use rather than here.
_WEBHOOKS_MODULE = "backchannel.circulation.transports.webhooks"


class Refused(ValueError):
    """A request the receiver cannot honour: answered with ``status`` and the message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class _Endpoint:
    """What the receiver holds for one name."""

    items: deque[dict[str, Any]]
    fail_times: int = 0
    fail_status: int = 503
    secret: str | None = None


class WebhookReceiver:
    """Records deliveries per name; injects failures; checks signatures once given a secret."""

    def __init__(self, *, max_items: int = DEFAULT_MAX_ITEMS) -> None:
        self.max_items = max_items
        self._endpoints: dict[str, _Endpoint] = {}
        self._lock = threading.Lock()

    def mount(self, gateway: Gateway) -> None:
        """Serve ``/_local/webhooks/...`` on the gateway, for every method."""
        gateway.add_route("*", PATH, self)

    # -- the API -----------------------------------------------------------------------------------
    def deliver(self, name: str, headers: dict[str, str], body: bytes) -> int:
        """Record one delivery to ``name``; returns the status to answer it with."""
        headers = {k.lower(): v for k, v in headers.items()}
        webhook_id = headers.get("webhook-id")
        with self._lock:
            endpoint = self._endpoint(name)
            if endpoint.fail_times > 0:
                endpoint.fail_times -= 1
                status = endpoint.fail_status
            else:
                status = HTTPStatus.NO_CONTENT
            secret = endpoint.secret
            duplicate = webhook_id is not None and any(
                item["webhookId"] == webhook_id and 200 <= item["answered"] < 300 for item in endpoint.items
            )
            item: dict[str, Any] = {
                "receivedAt": _now(),
                "webhookId": webhook_id,
                "headers": headers,
                "body": _body(body),
                "answered": int(status),
                "duplicate": duplicate,
            }
            if secret is not None:
                item["signatureValid"] = _verify(secret, headers, body)
            endpoint.items.append(item)
        return int(status)

    def items(self, name: str) -> list[dict[str, Any]]:
        """The deliveries to ``name``, oldest first."""
        with self._lock:
            endpoint = self._endpoints.get(name)
            return list(endpoint.items) if endpoint else []

    def unique(self, name: str) -> int:
        """How many deliveries to ``name`` were accepted, counting those with one webhook-id once."""
        accepted = [item for item in self.items(name) if 200 <= item["answered"] < 300]
        with_id = {item["webhookId"] for item in accepted if item["webhookId"] is not None}
        return len(with_id) + sum(1 for item in accepted if item["webhookId"] is None)

    def fail(self, name: str, times: int, status: int = 503) -> None:
        """Answer the next ``times`` deliveries to ``name`` with ``status`` (0 times: stop failing)."""
        if not isinstance(times, int) or isinstance(times, bool) or times < 0:
            raise Refused("times must be a whole number, 0 or more")
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise Refused("status must be an HTTP error status (400-599)")
        with self._lock:
            endpoint = self._endpoint(name)
            endpoint.fail_times, endpoint.fail_status = times, status

    def set_secret(self, name: str, secret: str | None) -> None:
        """Check the signatures of later deliveries to ``name`` against ``secret`` (None: stop)."""
        if secret is not None:
            if not isinstance(secret, str):
                raise Refused("secret must be a string (whsec_...)")
            try:
                _webhooks().sign(secret, "check", 0, b"")
            except ValueError as exc:
                raise Refused(str(exc)) from None
        with self._lock:
            self._endpoint(name).secret = secret

    def clear(self, name: str) -> None:
        """Forget ``name``: its deliveries, pending failures and secret."""
        with self._lock:
            self._endpoints.pop(name, None)

    def _endpoint(self, name: str) -> _Endpoint:
        endpoint = self._endpoints.get(name)
        if endpoint is None:
            endpoint = self._endpoints[name] = _Endpoint(items=deque(maxlen=self.max_items))
        return endpoint

    # -- WSGI --------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        match = _ROUTE.match(environ.get("PATH_INFO") or "")
        if match is None:
            return respond(start_response, 404, {"message": "Not Found: use /_local/webhooks/<name>"})
        name, action = match["name"], match["action"]
        method = environ["REQUEST_METHOD"].upper()
        allowed = {None: ("GET", "POST", "DELETE"), "fail": ("POST",), "secret": ("PUT",)}[action]
        if method not in allowed:
            return respond(
                start_response, 405, {"message": "Method Not Allowed"}, [("Allow", ", ".join(allowed))]
            )
        try:
            body = _read_body(environ)
            if action is None and method == "POST":
                status = self.deliver(name, _headers(environ), body)
                failed = {"message": f"failure injected with POST {PATH}/{name}/fail"}
                return respond(start_response, status, None if status < 300 else failed)
            if action is None and method == "GET":
                return respond(start_response, 200, {"items": self.items(name), "unique": self.unique(name)})
            if action is None:  # DELETE
                self.clear(name)
                return respond(start_response, 204, None)
            options = _json_object(body)
            if action == "fail":
                times, status = options.get("times", 1), options.get("status", 503)
                self.fail(name, times, status)
                return respond(
                    start_response, 200, {"name": name, "failNext": {"times": times, "status": status}}
                )
            self.set_secret(name, options.get("secret"))
            return respond(start_response, 204, None)
        except Refused as exc:
            return respond(start_response, exc.status, {"message": str(exc)})
        except ImportError as exc:
            return respond(start_response, 503, {"message": f"signatures cannot be checked: {exc}"})


class ReceiverServer:
    """A receiver on a port of its own, so that the outbound allow list can name exactly its origin
    (``http://host:port``) and no other local service (the API, moto) is reachable by a webhook."""

    def __init__(
        self, receiver: Callable[..., Iterable[bytes]], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        from werkzeug.serving import make_server

        try:
            self._server = make_server(host, port, receiver, threaded=True)
        except SystemExit as exc:  # werkzeug exits when the port is taken
            raise OSError(f"port {port} is in use") from exc
        self.host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self.port = int(self._server.server_port)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-webhooks", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def mount_webhook_receiver(gateway: Gateway, **kwargs: Any) -> WebhookReceiver:
    """A :class:`WebhookReceiver`, mounted on the gateway."""
    receiver = WebhookReceiver(**kwargs)
    receiver.mount(gateway)
    return receiver


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _webhooks() -> Any:
    return importlib.import_module(_WEBHOOKS_MODULE)


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool | None:
    """The sender's own check of a delivery (None when the layer cannot be imported)."""
    try:
        verify = _webhooks().verify
    except ImportError:
        return None
    return bool(verify(secret, headers, body))


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
    }
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if environ.get(key):
            headers[name] = environ[key]
    return headers


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(min(int(length), MAX_BODY_BYTES + 1))
    elif environ.get("wsgi.input_terminated"):  # chunked: the server knows where the body ends
        body = stream.read(MAX_BODY_BYTES + 1)
    else:
        return b""
    if len(body) > MAX_BODY_BYTES:
        raise Refused(f"the body is larger than {MAX_BODY_BYTES} bytes", 413)
    return body


def _body(raw: bytes) -> Any:
    """The body as JSON when it is JSON, else as text (undecodable bytes replaced)."""
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise Refused("the body must be a JSON object") from None
    if not isinstance(value, dict):
        raise Refused("the body must be a JSON object")
    return value
