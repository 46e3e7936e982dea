"""``/_local/faults``: make a function fail on purpose, to watch retries and exactly-once effects.

    POST   /_local/faults   {"function": "DeliveryWorkerFunction", "times": 1, "when": "after"}
    GET    /_local/faults   the faults still armed
    DELETE /_local/faults   disarm them all

``when`` is ``before`` (the invocation fails before the handler runs: a cold start that crashed) or
``after`` (the handler runs, its effects happen, then the invocation fails: a worker that timed out
before acknowledging). Either way the event source sees a failed invocation, as from Lambda: a queue's
whole batch comes back after its visibility timeout, a stream batch is retried. ``times`` counts
invocations. Local only: nothing of this exists in AWS.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from local.wsgi import respond

PATH = "/_local/faults"


class InjectedFault(RuntimeError):
    """The failure a fault injects (what the function's log shows)."""


@dataclass
class _Fault:
    times: int
    when: str


class Faults:
    def __init__(self) -> None:
        self._armed: dict[str, _Fault] = {}
        self._lock = threading.Lock()

    def arm(self, function: str, times: int = 1, when: str = "after") -> None:
        if when not in ("before", "after") or times < 1:
            raise ValueError("when is before or after; times is at least 1")
        with self._lock:
            self._armed[function] = _Fault(times, when)

    def take(self, function: str) -> str | None:
        """``before``/``after`` if the next invocation of ``function`` is to fail, else None."""
        with self._lock:
            fault = self._armed.get(function)
            if fault is None:
                return None
            fault.times -= 1
            if fault.times <= 0:
                del self._armed[function]
            return fault.when

    def armed(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: {"times": f.times, "when": f.when} for name, f in self._armed.items()}

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def run(self, function: str, call: Callable[[], Any]) -> Any:
        """Run one invocation through the armed fault, if any."""
        when = self.take(function)
        if when == "before":
            raise InjectedFault(f"{function}: fault injected before the handler ran")
        result = call()
        if when == "after":
            raise InjectedFault(f"{function}: fault injected after the handler ran")
        return result

    # -- WSGI ----------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST":
            try:
                size = int(environ.get("CONTENT_LENGTH") or 0)
                body = json.loads(environ["wsgi.input"].read(size) or b"{}")
                self.arm(str(body["function"]), int(body.get("times", 1)), str(body.get("when", "after")))
            except (ValueError, KeyError, TypeError) as err:
                return respond(start_response, 400, {"error": f"bad fault: {err}"})
            return respond(start_response, 201, {"armed": self.armed()})
        if method == "DELETE":
            self.clear()
            return respond(start_response, 200, {"armed": {}})
        return respond(start_response, 200, {"armed": self.armed()})


FAULTS = Faults()  # the runtime's one registry: functions run in this process
