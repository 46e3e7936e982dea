"""Waking the pumps on work: moto's writes ring a doorbell per stream and per queue.

moto runs in this process (``ThreadedMotoServer`` under ``make run``, ``mock_aws`` in tests), so the
pumps need not poll it in idle rounds: :func:`install` wraps the two moto methods through which work
arrives for a pump, and each rings the doorbell of its resource once the record or message is stored:

* ``moto.dynamodb.models.table.StreamShard.add``: a change reached a table's stream
  (key :func:`stream_key` of the table's name);
* ``moto.sqs.models.Queue.add_message``: a message reached a queue (key :func:`queue_key` of its
  name), whoever sent it: a worker, an EventBridge rule's SQS target (the pumps' rule taps), a
  redrive to a dead-letter queue.

A pump's source thread waits on :meth:`Doorbell.listen`'s event with a timeout, so what no write
announces (a failed message becoming visible again, a schedule falling due) is still found within
that timeout. Nothing else of moto's behaviour changes; without listeners a ring costs a dict lookup.
"""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from typing import Any

__all__ = ["DOORBELL", "Doorbell", "install", "queue_key", "stream_key"]


def stream_key(table_name: str) -> str:
    return f"dynamodb:{table_name}"


def queue_key(queue_name: str) -> str:
    return f"sqs:{queue_name}"


class Doorbell:
    """Events by resource key: :meth:`ring` sets every event listening to the key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, list[threading.Event]] = defaultdict(list)

    def listen(self, key: str) -> threading.Event:
        """A new event set by every later :meth:`ring` of ``key`` (clear it before looking for work)."""
        event = threading.Event()
        with self._lock:
            self._listeners[key].append(event)
        return event

    def forget(self, key: str, event: threading.Event) -> None:
        with self._lock:
            listeners = self._listeners.get(key)
            if listeners and event in listeners:
                listeners.remove(event)
            if not listeners:
                self._listeners.pop(key, None)

    def ring(self, key: str) -> None:
        with self._lock:
            listeners = list(self._listeners.get(key, ()))
        for event in listeners:
            event.set()


DOORBELL = Doorbell()
_installed = False
_install_lock = threading.Lock()


def _ringing(method: Any, key_of: Any) -> Any:
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        DOORBELL.ring(key_of(self))
        return result

    return wrapper


def install() -> None:
    """Make moto's stream and queue writes ring :data:`DOORBELL` (once per process; idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.dynamodb.models.table import StreamShard
        from moto.sqs.models import Queue

        StreamShard.add = _ringing(StreamShard.add, lambda shard: stream_key(shard.table.name))
        Queue.add_message = _ringing(Queue.add_message, lambda queue: queue_key(queue.name))
        _installed = True
