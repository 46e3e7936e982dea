"""Domain errors. The data layer turns AWS errors into these; the HTTP edge turns these into responses."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """Base of every error the API reports to a client (never a 5xx). A kind of error says its HTTP
    status and title where it is declared: ``class NotFound(DomainError, status=404, title="Not found")``."""

    status = 400
    title = "Bad request"
    members: dict = {}  # extension members of its problem document (RFC 9457)
    headers: dict[str, str] = {}  # response headers it brings (Retry-After, say)

    def __init_subclass__(cls, *, status: int | None = None, title: str | None = None, **kw: object) -> None:
        super().__init_subclass__(**kw)
        if status is not None:
            cls.status = status
        if title is not None:
            cls.title = title

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ValidationFailed(DomainError, status=422, title="Validation failed"):
    def __init__(self, errors: list[FieldError] | FieldError, detail: str | None = None) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        summary = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(detail or summary)


class BadRequest(DomainError, status=400, title="Bad request"): ...


class Unauthorized(DomainError, status=401, title="Unauthorized"): ...


class Forbidden(DomainError, status=403, title="Forbidden"): ...


class NotFound(DomainError, status=404, title="Not found"): ...


class Conflict(DomainError, status=409, title="Conflict"): ...


class Gone(DomainError, status=410, title="Gone"):
    """What was there is gone for good for this caller (a revoked or expired link, a retracted
    access): ``detail`` says why, in words for the person who followed the link."""


class PreconditionFailed(DomainError, status=412, title="Precondition failed"): ...


class PreconditionRequired(DomainError, status=428, title="Precondition required"): ...


class PayloadTooLarge(DomainError, status=413, title="Payload too large"): ...


class UnsupportedMediaType(DomainError, status=415, title="Unsupported media type"): ...


class IdempotencyMismatch(DomainError, status=422, title="Idempotency key reused"): ...


class RequestInProgress(DomainError, status=409, title="Request in progress"): ...


class TooManyRequests(DomainError, status=429, title="Too many requests"):
    """A member (or a connection) went over one of its rate limits (``core.limits``): the problem
    names the limit, its rate and window, and ``Retry-After`` says in how many seconds to try again."""

    def __init__(self, detail: str, *, limit: str, rate: int, window: int, retry_after: int) -> None:
        super().__init__(detail)
        self.members = {"limit": limit, "rate": rate, "window": window, "retryAfter": retry_after}
        self.headers = {"Retry-After": str(retry_after)}


@dataclass
class Problem:
    """An RFC 9457 problem document."""

    status: int
    title: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    members: dict = field(default_factory=dict)  # extension members (RFC 9457 section 3.2)

    def to_dict(self) -> dict:
        doc: dict = {"type": "about:blank", "status": self.status, "title": self.title, "detail": self.detail}
        if self.errors:
            doc["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return {**doc, **self.members}
