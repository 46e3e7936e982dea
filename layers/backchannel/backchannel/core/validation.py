"""Declarative request schemas: one definition validates input and documents it (JSON Schema for OpenAPI).

Hand-written rather than pydantic on purpose: pydantic's import costs hundreds of milliseconds of cold
start (Powertools issue 1164), and our payloads are small and flat. Every problem is reported with the
field at fault, all at once, so a client can fix a form in one round trip.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backchannel.core.errors import FieldError, ValidationFailed

Errors = list[FieldError]
_MISSING = object()


def _has_control(text: str, allow_newlines: bool) -> bool:
    for ch in text:
        if ch in "\n\r\t" and allow_newlines:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co") or ch in "\u2028\u2029":
            return True
    return False


class Spec:
    """A value's type and constraints."""

    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def schema(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass
class Str(Spec):
    min_len: int = 0
    max_len: int | None = None
    pattern: str | None = None
    pattern_hint: str | None = None
    multiline: bool = False
    strip: bool = True
    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str):
            errors.append(FieldError(path, "must be a string"))
            return None
        if self.strip:
            value = value.strip()
        if _has_control(value, self.multiline):
            errors.append(FieldError(path, "must not contain control characters"))
            return None
        if len(value) < self.min_len:
            msg = "must not be empty" if self.min_len == 1 else f"must be at least {self.min_len} characters"
            errors.append(FieldError(path, msg))
            return None
        if self.max_len is not None and len(value) > self.max_len:
            errors.append(FieldError(path, f"must be at most {self.max_len} characters"))
            return None
        if self.pattern and not re.fullmatch(self.pattern, value):
            errors.append(FieldError(path, self.pattern_hint or f"must match {self.pattern}"))
            return None
        return value

    def schema(self) -> dict:
        s: dict = {"type": "string"}
        if self.min_len:
            s["minLength"] = self.min_len
        if self.max_len is not None:
            s["maxLength"] = self.max_len
        if self.pattern:
            s["pattern"] = f"^{self.pattern}$"
        return _describe(s, self.description)


@dataclass
class Text(Spec):
    """Free text checked by the domain (characters, not bytes; control characters; emptiness), which
    knows the rules of posts and notes; here only its type, and a ceiling against absurd input."""

    max_len: int = 70_000
    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str):
            errors.append(FieldError(path, "must be a string"))
            return None
        if len(value) > self.max_len:
            errors.append(FieldError(path, f"must be at most {self.max_len} characters"))
            return None
        return value

    def schema(self) -> dict:
        return _describe({"type": "string", "maxLength": self.max_len}, self.description)


@dataclass
class Bytes(Str):
    """A string whose limit is in UTF-8 bytes (Markdown bodies)."""

    max_bytes: int = 64 * 1024

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        value = super().check(value, path, errors)
        if isinstance(value, str) and len(value.encode("utf-8")) > self.max_bytes:
            errors.append(FieldError(path, f"must be at most {self.max_bytes} bytes of UTF-8"))
            return None
        return value


@dataclass
class Enum(Spec):
    values: tuple[str, ...] = ()
    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if value not in self.values:
            errors.append(FieldError(path, "must be one of " + ", ".join(self.values)))
            return None
        return value

    def schema(self) -> dict:
        return _describe({"type": "string", "enum": list(self.values)}, self.description)


@dataclass
class Bool(Spec):
    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, bool):
            errors.append(FieldError(path, "must be true or false"))
            return None
        return value

    def schema(self) -> dict:
        return _describe({"type": "boolean"}, self.description)


@dataclass
class Int(Spec):
    minimum: int | None = None
    maximum: int | None = None
    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(FieldError(path, "must be an integer"))
            return None
        if self.minimum is not None and value < self.minimum:
            errors.append(FieldError(path, f"must be at least {self.minimum}"))
            return None
        if self.maximum is not None and value > self.maximum:
            errors.append(FieldError(path, f"must be at most {self.maximum}"))
            return None
        return value

    def schema(self) -> dict:
        s: dict = {"type": "integer"}
        if self.minimum is not None:
            s["minimum"] = self.minimum
        if self.maximum is not None:
            s["maximum"] = self.maximum
        return _describe(s, self.description)


@dataclass
class Date(Spec):
    """A calendar date, ``YYYY-MM-DD``; returned as :class:`datetime.date`."""

    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            errors.append(FieldError(path, "must be a date as YYYY-MM-DD"))
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            errors.append(FieldError(path, "is not a valid calendar date"))
            return None

    def schema(self) -> dict:
        return _describe({"type": "string", "format": "date"}, self.description)


@dataclass
class DateTime(Spec):
    """An ISO 8601 timestamp with a UTC offset; returned as an aware :class:`datetime.datetime`."""

    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str) or len(value) > 40:
            errors.append(FieldError(path, "must be a timestamp with offset, e.g. 2026-05-18T09:30:00+01:00"))
            return None
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is None or "T" not in value.upper():
            errors.append(FieldError(path, "must be a timestamp with offset, e.g. 2026-05-18T09:30:00+01:00"))
            return None
        if parsed.tzinfo is None:
            errors.append(FieldError(path, "must include a UTC offset (Z or +hh:mm)"))
            return None
        return parsed

    def schema(self) -> dict:
        return _describe({"type": "string", "format": "date-time"}, self.description)


@dataclass
class TimeZone(Spec):
    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str) or not re.fullmatch(
            r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", value
        ):
            errors.append(FieldError(path, "must be an IANA time zone such as Europe/London"))
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(FieldError(path, f"unknown time zone {value!r}"))
            return None
        return value

    def schema(self) -> dict:
        return _describe({"type": "string", "examples": ["Europe/London"]}, self.description)


@dataclass
class Url(Spec):
    max_len: int = 2048
    https_only: bool = False
    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str):
            errors.append(FieldError(path, "must be a URL string"))
            return None
        value = value.strip()
        schemes = ("https",) if self.https_only else ("http", "https")
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme.lower() not in schemes
            or not parts.hostname
            or len(value) > self.max_len
            or _has_control(value, False)
            or " " in value
        ):
            errors.append(FieldError(path, "must be an absolute " + "/".join(schemes) + " URL"))
            return None
        return value

    def schema(self) -> dict:
        return _describe({"type": "string", "format": "uri", "maxLength": self.max_len}, self.description)


@dataclass
class Arr(Spec):
    items: Spec = field(default_factory=Str)
    max_items: int = 100
    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, list):
            errors.append(FieldError(path, "must be an array"))
            return None
        if len(value) > self.max_items:
            errors.append(FieldError(path, f"must have at most {self.max_items} items"))
            return None
        return [self.items.check(v, f"{path}[{i}]", errors) for i, v in enumerate(value)]

    def schema(self) -> dict:
        return _describe(
            {"type": "array", "items": self.items.schema(), "maxItems": self.max_items}, self.description
        )


@dataclass
class F:
    """A field of an object."""

    spec: Spec
    required: bool = False
    nullable: bool = False
    default: Any = _MISSING
    description: str | None = None


@dataclass
class Obj(Spec):
    """A JSON object with known fields; unknown fields are refused, so typos don't pass silently."""

    name: str = "Object"
    fields: dict[str, F] = field(default_factory=dict)
    description: str | None = None

    def check(self, value: Any, path: str, errors: Errors, *, partial: bool = False) -> Any:
        if not isinstance(value, Mapping):
            errors.append(FieldError(path or "body", "must be a JSON object"))
            return None
        out: dict[str, Any] = {}
        prefix = f"{path}." if path else ""
        for key in value:
            if key not in self.fields:
                errors.append(FieldError(f"{prefix}{key}", "is not a known field"))
        for key, f in self.fields.items():
            raw = value.get(key, _MISSING)
            if raw is _MISSING:
                if f.required and not partial:
                    errors.append(FieldError(f"{prefix}{key}", "is required"))
                elif f.default is not _MISSING and not partial:
                    out[key] = f.default
                continue
            if raw is None:
                if f.nullable:
                    out[key] = None
                else:
                    errors.append(FieldError(f"{prefix}{key}", "must not be null"))
                continue
            out[key] = f.spec.check(raw, f"{prefix}{key}", errors)
        return out

    def validate(self, value: Any, *, partial: bool = False) -> dict[str, Any]:
        """Validated, normalised data; raises :class:`ValidationFailed` listing every field at fault."""
        errors: Errors = []
        out = self.check(value, "", errors, partial=partial)
        if partial and not errors and isinstance(value, Mapping) and not value:
            errors.append(FieldError("body", "must change at least one field"))
        if errors:
            raise ValidationFailed(errors)
        return out

    def schema(self) -> dict:
        props = {}
        for key, f in self.fields.items():
            s = f.spec.schema()
            if f.description:
                s["description"] = f.description
            if f.nullable:
                s = {"anyOf": [s, {"type": "null"}]}
            props[key] = s
        s: dict = {"type": "object", "properties": props, "additionalProperties": False}
        required = [k for k, f in self.fields.items() if f.required]
        if required:
            s["required"] = required
        return _describe(s, self.description)


def _describe(schema: dict, description: str | None) -> dict:
    if description:
        schema["description"] = description
    return schema
