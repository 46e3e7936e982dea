"""``GET /_local/events``: the domain events that reached the stack's EventBridge bus, for developers.

At start the tap puts a local-only, catch-all rule (``{"source": [{"prefix": ""}]}``, which matches
every event, in AWS as in moto) on each bus the template declares, targeting a local-only SQS queue.
Whenever someone asks, the tap moves what the queue holds into an in-memory ring buffer (the newest
``max_items``, 1,000 by default) and answers from it. It is independent of the event-source pumps:
it reads its own queue, so it neither delays nor is delayed by a function's rules.

    GET /_local/events                       {"items": [{id, time, source, detailType, detail, resources}]}
    GET /_local/events?detailType=PostCreated   only that detail-type (repeat or comma-separate for several)
    GET /_local/events?after=<id>               only events that arrived after the one with that id

Items are in arrival order, newest last; ``id`` is EventBridge's event id, ``time`` the event's time
as the bus stamped it. An ``after`` id the tap no longer holds (pushed out of the ring) or never saw
returns everything it holds, so a poller that fell behind catches up rather than stalls. Only events
put after the tap exists are seen: the runtime starts it before the demo is seeded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from local.wsgi import respond

if TYPE_CHECKING:
    from local.gateway import Gateway
    from local.provision import LocalStack

__all__ = ["PATH", "BusTap", "start_bus_tap"]

log = logging.getLogger("local.bus_tap")

PATH = "/_local/events"
CATCH_ALL = {"source": [{"prefix": ""}]}
DEFAULT_MAX_ITEMS = 1000
_RECEIVE_MAX = 10  # SQS returns at most 10 messages per receive


class BusTap:
    """A catch-all rule on every bus of the stack -> one SQS queue -> a bounded in-memory list."""

    def __init__(self, local_stack: LocalStack, *, max_items: int = DEFAULT_MAX_ITEMS) -> None:
        self.stack = local_stack
        self.buses = [
            local_stack.physical_id(logical_id)
            for logical_id, resource in local_stack.stack.resources.items()
            if resource.get("Type") == "AWS::Events::EventBus"
            and logical_id in local_stack.stack.physical_ids
        ]
        self._items: deque[dict[str, Any]] = deque(maxlen=max_items)
        self._lock = threading.Lock()
        self._sqs = local_stack.client("sqs")
        self.queue_url = ""
        self.rule_name = _name(f"{local_stack.stack.stack_name}-local-bus-tap", 64)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> BusTap:
        """Create the tap queue and a catch-all rule targeting it on each bus."""
        name = _name(f"{self.stack.stack.stack_name}-local-bus-tap", 80)
        self.queue_url = self._sqs.create_queue(
            QueueName=name, Attributes={"MessageRetentionPeriod": "1209600"}
        )["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events = self.stack.client("events")
        for bus in self.buses:
            events.put_rule(
                Name=self.rule_name,
                EventBusName=bus,
                EventPattern=json.dumps(CATCH_ALL),
                State="ENABLED",
                Description="local only: every event on the bus, for GET /_local/events",
            )
            events.put_targets(
                Rule=self.rule_name, EventBusName=bus, Targets=[{"Id": "local-bus-tap", "Arn": queue_arn}]
            )
        log.info("tapping %s into %s", ", ".join(self.buses) or "no bus", PATH)
        return self

    def mount(self, gateway: Gateway) -> None:
        """Serve ``GET /_local/events`` on the gateway."""
        gateway.add_route("GET", PATH, self)

    # -- reading -----------------------------------------------------------------------------------
    def poll(self) -> int:
        """Move what the tap queue holds into the ring buffer; returns how many events arrived."""
        if not self.queue_url:
            return 0
        moved = 0
        with self._lock:
            while True:
                messages = self._sqs.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=_RECEIVE_MAX, WaitTimeSeconds=0
                ).get("Messages", [])
                for message in messages:
                    entry = _entry(message["Body"])
                    if entry is not None:
                        self._items.append(entry)
                        moved += 1
                if messages:
                    self._sqs.delete_message_batch(
                        QueueUrl=self.queue_url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(messages)
                        ],
                    )
                if len(messages) < _RECEIVE_MAX:
                    return moved

    def items(self, *, detail_types: Iterable[str] = (), after: str | None = None) -> list[dict[str, Any]]:
        """The events held, oldest first, after polling the queue (filters as the query string's)."""
        self.poll()
        with self._lock:
            items = list(self._items)
        if after:
            position = next((i for i, item in enumerate(items) if item["id"] == after), None)
            if position is not None:
                items = items[position + 1 :]
        wanted = {t for t in detail_types if t}
        if wanted:
            items = [item for item in items if item["detailType"] in wanted]
        return items

    # -- WSGI --------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if path.rstrip("/") != PATH:
            return respond(start_response, 404, {"message": "Not Found"})
        query = parse_qs(environ.get("QUERY_STRING") or "")
        detail_types = [t.strip() for v in query.get("detailType", []) for t in v.split(",")]
        after = (query.get("after") or [None])[-1]
        try:
            items = self.items(detail_types=detail_types, after=after)
        except Exception as exc:  # moto gone, queue deleted: say so rather than drop the connection
            log.exception("reading the bus tap failed")
            return respond(start_response, 503, {"message": f"bus tap: {exc}"})
        return respond(start_response, 200, {"items": items})


def start_bus_tap(local_stack: LocalStack, gateway: Gateway | None = None, **kwargs: Any) -> BusTap:
    """Start a :class:`BusTap` on the stack's buses and, given a gateway, mount it there."""
    tap = BusTap(local_stack, **kwargs).start()
    if gateway is not None:
        tap.mount(gateway)
    return tap


def _entry(body: str) -> dict[str, Any] | None:
    try:
        event = json.loads(body)
    except ValueError:
        log.warning("bus tap: a message that is not JSON was skipped")
        return None
    if not isinstance(event, dict):
        return None
    return {
        "id": event.get("id"),
        "time": event.get("time"),
        "source": event.get("source"),
        "detailType": event.get("detail-type"),
        "detail": event.get("detail") or {},
        "resources": event.get("resources") or [],
    }


def _name(text: str, limit: int) -> str:
    """A rule or queue name within AWS's characters and length (a hashed tail when too long)."""
    text = re.sub(r"[^A-Za-z0-9_-]", "-", text)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 9]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
