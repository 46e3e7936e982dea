"""Routes registered and described at once: the resolver of every HTTP function.

:class:`Api` is Powertools' HTTP API resolver whose verb decorators also attach :func:`operation`'s
metadata, read by ``backchannel_openapi`` for ``openapi.json``::

    @app.post("/events/<eventId>/sessions", request=schemas.SESSION_CREATE, response=schemas.SESSION)
    def create_session(eventId: str):
        '''Add a session (its organisers)'''

The route function's docstring is the operation's summary. A POST is documented as 201, a DELETE as
204, and a PATCH takes a partial body, unless the route says otherwise. ``limit="posts"`` makes the
route count against the caller's fair limit of that class first (``core.limits``; 429 over it).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from backchannel.core.limits import CLASSES, charge_request
from backchannel.core.validation import Obj, Spec


def operation(
    *,
    summary: str,
    request: Obj | None = None,
    response: Obj | None = None,
    status: int = 200,
    public: bool = False,
    paginated: bool = False,
    polled: bool = False,
    partial: bool = False,
    errors: tuple[int, ...] = (),
    replay: bool = False,
    accepted: bool = False,
    limit: str | None = None,
    path: dict[str, Spec] | None = None,
) -> Callable:
    """Describe a route for the OpenAPI document (read by ``backchannel_openapi``); no runtime effect.

    ``paginated``: the answer is a page (``limit`` and ``cursor`` in the query); ``polled`` as well: a
    feed's page, which also answers ``sinceCursor`` and takes it back as ``since``. ``replay``: the
    request made again (the same client id, a second vote) answers 200 with what the first one made.
    ``accepted``: the request may instead answer 202 with the same body, unfinished, to be polled at
    its ``Location`` (work handed to a worker).
    ``limit``: the class of fair limits the route counts against (``core.limits``; :class:`Api`
    enforces it). ``path``: the spec of a path parameter that is more than a non-empty string (the
    route checks it with ``spec.parse``)."""
    if limit is not None and limit not in CLASSES:
        raise ValueError(f"limit={limit!r}: not a class of core.limits ({', '.join(CLASSES)})")

    def mark(fn: Callable) -> Callable:
        fn.__openapi__ = {  # type: ignore[attr-defined]
            "summary": summary,
            "request": request,
            "response": response,
            "status": status,
            "public": public,
            "paginated": paginated,
            "polled": polled,
            "partial": partial,
            "errors": errors,
            "replay": replay,
            "accepted": accepted,
            "limit": limit,
            "path": path or {},
        }
        return fn

    return mark


class Api(APIGatewayHttpResolver):
    """The verb decorators take :func:`operation`'s arguments (but the summary: the docstring), not
    Powertools' route options; a route that needs one of those goes through ``route()``.

    Powertools keeps the request being resolved in a class attribute shared by every resolver. Lambda
    runs one request at a time per process, but the tests call a handler from several threads at once
    (races between members): ``current_event`` is therefore kept per thread, so that a route never
    reads another thread's request (its caller, say) while it waits on I/O."""

    _request = threading.local()

    @property
    def current_event(self) -> Any:  # type: ignore[override]
        return getattr(self._request, "event", None)

    @current_event.setter
    def current_event(self, value: Any) -> None:
        self._request.event = value

    def resolve(self, event: dict, context: Any) -> dict[str, Any]:
        self._request.event = self._to_proxy_event(event)
        return super().resolve(event, context)

    def described(self, method: str, rule: str, spec: dict[str, Any]) -> Callable:
        def register(fn: Callable) -> Callable:
            summary = " ".join((fn.__doc__ or "").split())
            if not summary:
                raise TypeError(f"{fn.__name__}: say what the route does in its docstring (its summary)")
            described = operation(summary=summary, **spec)(fn)
            if spec.get("limit"):
                described = self.limited(spec["limit"], described)
            return self.route(rule, method)(described)

        return register

    def limited(self, name: str, fn: Callable) -> Callable:
        """``fn`` after charging the caller's ``name`` limit (429 when it is reached)."""

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            charge_request(name, self.current_event.raw_event)
            return fn(*args, **kwargs)

        return run

    def get(self, rule: str, **spec: Any) -> Callable:  # type: ignore[override]
        return self.described("GET", rule, spec)

    def post(self, rule: str, *, status: int = 201, **spec: Any) -> Callable:  # type: ignore[override]
        """A POST creates: 201 unless ``status`` says otherwise."""
        return self.described("POST", rule, {"status": status, **spec})

    def put(self, rule: str, **spec: Any) -> Callable:  # type: ignore[override]
        return self.described("PUT", rule, spec)

    def patch(self, rule: str, **spec: Any) -> Callable:  # type: ignore[override]
        """A PATCH takes a partial body: only the fields to change."""
        return self.described("PATCH", rule, {"partial": True, **spec})

    def delete(self, rule: str, *, status: int = 204, **spec: Any) -> Callable:  # type: ignore[override]
        """A DELETE answers 204 with no body unless ``status`` says otherwise."""
        return self.described("DELETE", rule, {"status": status, **spec})
