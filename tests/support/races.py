"""An interleaving harness for race tests: workers stop at named points of the code under test until
the test lets them go, so a race plays out the same way on every run.

- :class:`Gate`: a point where one worker stops (``gate.stop()``, called by the worker through an
  injected clock, transport or repository) until the test opens it; the test waits for it to get
  there first.
- :class:`Rendezvous`: the first ``parties`` callers wait for each other (a barrier), later ones
  pass; wrapped round a repository's read, every racer has read before any of them writes.
- :class:`Clock`: injected time that runs a hook on a given reading (a pause, a crash).
- :class:`Worker`: a call on its own thread whose result or exception is handed back on ``join``.
- :func:`serialised_dynamodb`: each DynamoDB request applied atomically, as DynamoDB does (moto's
  in-memory backend is not safe for concurrent requests); the racers still interleave between
  requests, which is where the application's guards work.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from typing import Any

WAIT_S = 30  # a worker that never gets to its gate fails the test instead of hanging it


class WorkerDied(Exception):
    """A worker stops here, as if its process were killed (nothing after this point runs)."""


def die() -> None:
    raise WorkerDied("the worker died here")


class Gate:
    def __init__(self) -> None:
        self._arrived = threading.Event()
        self._opened = threading.Event()

    def stop(self) -> None:
        """In the worker: say it got here, and wait until the test opens the gate."""
        self._arrived.set()
        if not self._opened.wait(WAIT_S):
            raise TimeoutError("the gate was never opened")

    def reached(self) -> None:
        """In the test: wait until the worker stands at the gate."""
        if not self._arrived.wait(WAIT_S):
            raise TimeoutError("the worker never reached the gate")

    def open(self) -> None:
        self._opened.set()


class Rendezvous:
    """``point()`` makes the first ``parties`` callers wait for each other; any later call passes."""

    def __init__(self, parties: int) -> None:
        self._barrier = threading.Barrier(parties, timeout=WAIT_S)
        self._left = parties
        self._lock = threading.Lock()

    def point(self) -> None:
        with self._lock:
            armed = self._left > 0
            self._left -= 1
        if armed:
            self._barrier.wait()


class Clock:
    """Time for the code under test: always ``at``; its ``n``-th reading first runs ``hooks[n]``."""

    def __init__(self, at: dt.datetime, hooks: dict[int, Callable[[], None]] | None = None) -> None:
        self.at = at
        self.hooks = hooks or {}
        self.reads = 0

    def __call__(self) -> dt.datetime:
        self.reads += 1
        if hook := self.hooks.get(self.reads):
            hook()
        return self.at


class Worker(threading.Thread):
    """``call()`` on a thread of its own; :meth:`outcome` joins it and returns what the call returned,
    or raises what it raised."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self._call = call
        self._result: Any = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._result = self._call()
        except BaseException as err:  # handed to the test thread
            self._error = err

    def outcome(self) -> Any:
        self.join(WAIT_S)
        assert not self.is_alive(), "the worker did not finish"
        if self._error is not None:
            raise self._error
        return self._result


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Every call on its own thread at once; their results in order (the in-process API client swaps
    the process environment per call, so it is put back afterwards)."""
    environ = dict(os.environ)
    workers = [Worker(call) for call in calls]
    for worker in workers:
        worker.start()
    try:
        return [worker.outcome() for worker in workers]
    finally:
        os.environ.clear()
        os.environ.update(environ)


def serialised_dynamodb(monkeypatch) -> None:
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    original = DynamoHandler.call_action

    def call_action(self):
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", call_action)
