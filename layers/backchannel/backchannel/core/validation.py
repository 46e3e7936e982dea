"""Declarative request schemas: one definition validates input and documents it (JSON Schema for OpenAPI).

Hand-written rather than pydantic on purpose: pydantic's import costs hundreds of milliseconds of cold
start (Powertools issue 1164), and our payloads are small and flat. Every problem is reported with the
field at fault, all at once, so a client can fix a form in one round trip.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backchannel.core.characters import has_control as _has_control
from backchannel.core.characters import invisible_format
from backchannel.core.errors import FieldError, ValidationFailed

Errors = list[FieldError]
_MISSING = object()


@dataclass
class Spec:
    """A value's type and constraints; ``description`` documents it (OpenAPI)."""

    description: str | None = field(default=None, kw_only=True)

    def check(self, value: Any, path: str, errors: Errors) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def json_schema(self) -> dict:  # pragma: no cover - abstract
        """The JSON Schema of the value, without its description."""
        raise NotImplementedError

    def parse(self, value: Any, name: str) -> Any:
        """One value on its own (a path parameter), normalised; :class:`ValidationFailed` naming it."""
        errors: Errors = []
        out = self.check(value, name, errors)
        if errors:
            raise ValidationFailed(errors)
        return out

    def schema(self) -> dict:
        schema = self.json_schema()
        if self.description:
            schema["description"] = self.description
        return schema


def _refuse(errors: Errors, path: str, message: str) -> None:
    """Record what is wrong with the value at ``path``: a value refused reads as None."""
    errors.append(FieldError(path, message))


@dataclass
class Str(Spec):
    min_len: int = 0
    max_len: int | None = None
    pattern: str | None = None
    pattern_hint: str | None = None
    multiline: bool = False
    strip: bool = True
    controls: bool = False  # let control characters through (text whose domain checks them itself)

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str):
            return _refuse(errors, path, "must be a string")
        if self.strip:
            value = value.strip()
        if not self.controls and _has_control(value, self.multiline):
            return _refuse(errors, path, "must not contain control characters")
        if not self.controls and (ch := invisible_format(value)):
            return _refuse(errors, path, f"must not contain invisible format characters (U+{ord(ch):04X})")
        if len(value) < self.min_len:
            msg = "must not be empty" if self.min_len == 1 else f"must be at least {self.min_len} characters"
            return _refuse(errors, path, msg)
        if self.max_len is not None and len(value) > self.max_len:
            return _refuse(errors, path, f"must be at most {self.max_len} characters")
        if self.pattern and not re.fullmatch(self.pattern, value):
            return _refuse(errors, path, self.pattern_hint or f"must match {self.pattern}")
        return value

    def json_schema(self) -> dict:
        s: dict = {"type": "string"}
        if self.min_len:
            s["minLength"] = self.min_len
        if self.max_len is not None:
            s["maxLength"] = self.max_len
        if self.pattern:
            s["pattern"] = f"^{self.pattern}$"
        return s


@dataclass
class Text(Str):
    """Free text checked by the domain (characters, not bytes; control characters; emptiness), which
    knows the rules of posts and notes; here only its type, and a ceiling against absurd input."""

    max_len: int | None = 70_000
    strip: bool = False
    controls: bool = True


@dataclass
class Bytes(Str):
    """A string whose limit is in UTF-8 bytes (Markdown bodies)."""

    max_bytes: int = 64 * 1024

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        value = super().check(value, path, errors)
        if isinstance(value, str) and len(value.encode("utf-8")) > self.max_bytes:
            return _refuse(errors, path, f"must be at most {self.max_bytes} bytes of UTF-8")
        return value


@dataclass
class Enum(Spec):
    values: tuple[str, ...] = ()

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if value not in self.values:
            return _refuse(errors, path, "must be one of " + ", ".join(self.values))
        return value

    def json_schema(self) -> dict:
        return {"type": "string", "enum": list(self.values)}


@dataclass
class Bool(Spec):
    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, bool):
            return _refuse(errors, path, "must be true or false")
        return value

    def json_schema(self) -> dict:
        return {"type": "boolean"}


@dataclass
class Int(Spec):
    minimum: int | None = None
    maximum: int | None = None

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            return _refuse(errors, path, "must be an integer")
        if self.minimum is not None and value < self.minimum:
            return _refuse(errors, path, f"must be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            return _refuse(errors, path, f"must be at most {self.maximum}")
        return value

    def json_schema(self) -> dict:
        s: dict = {"type": "integer"}
        if self.minimum is not None:
            s["minimum"] = self.minimum
        if self.maximum is not None:
            s["maximum"] = self.maximum
        return s


@dataclass
class Date(Spec):
    """A calendar date, ``YYYY-MM-DD``; returned as :class:`datetime.date`."""

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return _refuse(errors, path, "must be a date as YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return _refuse(errors, path, "is not a valid calendar date")

    def json_schema(self) -> dict:
        return {"type": "string", "format": "date"}


_TIMESTAMP_HINT = "must be a timestamp with offset, e.g. 2026-05-18T09:30:00+01:00"


@dataclass
class DateTime(Spec):
    """An ISO 8601 timestamp with a UTC offset; returned as an aware :class:`datetime.datetime`."""

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str) or len(value) > 40:
            return _refuse(errors, path, _TIMESTAMP_HINT)
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is None or "T" not in value.upper():
            return _refuse(errors, path, _TIMESTAMP_HINT)
        if parsed.tzinfo is None:
            return _refuse(errors, path, "must include a UTC offset (Z or +hh:mm)")
        return parsed

    def json_schema(self) -> dict:
        return {"type": "string", "format": "date-time"}


@dataclass
class TimeZone(Spec):
    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str) or not re.fullmatch(
            r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", value
        ):
            return _refuse(errors, path, "must be an IANA time zone such as Europe/London")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return _refuse(errors, path, f"unknown time zone {value!r}")
        return value

    def json_schema(self) -> dict:
        return {"type": "string", "examples": ["Europe/London"]}


@dataclass
class Url(Spec):
    max_len: int = 2048
    https_only: bool = False

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str):
            return _refuse(errors, path, "must be a URL string")
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
            or invisible_format(value, joiners=False)
            or " " in value
        ):
            return _refuse(errors, path, "must be an absolute " + "/".join(schemes) + " URL")
        return value

    def json_schema(self) -> dict:
        return {"type": "string", "format": "uri", "maxLength": self.max_len}


@dataclass
class Arr(Spec):
    items: Spec = field(default_factory=Str)
    max_items: int = 100

    def check(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, list):
            return _refuse(errors, path, "must be an array")
        if len(value) > self.max_items:
            return _refuse(errors, path, f"must have at most {self.max_items} items")
        return [self.items.check(v, f"{path}[{i}]", errors) for i, v in enumerate(value)]

    def json_schema(self) -> dict:
        return {"type": "array", "items": self.items.schema(), "maxItems": self.max_items}


@dataclass
class F:
    """A field of an object."""

    spec: Spec
    required: bool = False
    nullable: bool = False
    default: Any = _MISSING
    description: str | None = None


def returned(spec: Spec, *keys: str, nullable: bool = False) -> dict[str, F]:
    """Fields of a response, each of ``spec``: always present (``required``), null only if ``nullable``."""
    return {key: F(spec, required=True, nullable=nullable) for key in keys}


@dataclass
class Obj(Spec):
    """A JSON object with known fields; unknown fields are refused, so typos don't pass silently."""

    name: str = "Object"
    fields: dict[str, F] = field(default_factory=dict)

    def optional(self, name: str) -> Obj:
        """The object ``name`` of the same fields, none of them required and none with a default (a
        partial update)."""
        return Obj(name, {k: F(f.spec, nullable=f.nullable) for k, f in self.fields.items()})

    def returned_fields(self) -> dict[str, F]:
        """These fields as a response carries them: every one present, null where there is no value."""
        return {k: F(f.spec, required=True, nullable=True) for k, f in self.fields.items()}

    def check(self, value: Any, path: str, errors: Errors, *, partial: bool = False) -> Any:
        if not isinstance(value, Mapping):
            return _refuse(errors, path or "body", "must be a JSON object")
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

    def json_schema(self) -> dict:
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
        return s
