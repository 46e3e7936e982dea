"""Models to items and back, by field name: written once for every feature.

A feature's model is a dataclass; its item is a PynamoDB model whose attributes carry the same Python
names (``attr_name`` gives the stored camelCase). So a converter only says what differs: the keys
(``pk``, ``sk``, the index keys) and any field whose shape does not follow from its type::

    to_model(Note, item)
    to_item(NoteItem, note, pk=f"NOTE#{note.id}", sk="NOTE", gsi1pk=..., gsi1sk=note.id)

Reading coerces each value to its field's annotated type: numbers to ``int``/``float``, ``bool``,
lists, sets, maps as plain dicts, ISO strings to ``date``/``datetime``, lists of map attributes to the
field's dataclass. A missing value takes the field's default, else its type's empty value (``False``,
``0``, an empty collection), else ``None``. Writing turns dates back into ISO strings and
dataclasses into the attribute's map class. A field that is neither a plain value nor one of these is
passed explicitly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from collections.abc import Callable
from typing import Any

from pynamodb.attributes import DiscriminatorAttribute, ListAttribute

from backchannel.core.dynamo.table import plain

_MISSING = object()


def _attributes(item_class: type) -> dict[str, Any]:
    """The item's own attributes: not ``type``, which tells the item's class (a model may have a field
    of that name, such as a channel's type, stored under another attribute)."""
    return {
        name: attribute
        for name, attribute in item_class.get_attributes().items()
        if not isinstance(attribute, DiscriminatorAttribute)
    }


def _strip_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else hint
    return hint


def _reader(hint: Any) -> Callable[[Any], Any]:
    hint = _strip_optional(hint)
    origin = typing.get_origin(hint) or hint
    if hint is bool:
        return bool
    if hint in (int, float):
        return hint
    if hint is dt.datetime or hint is dt.date:
        return hint.fromisoformat
    if origin is dict:
        return plain
    if origin is set:
        return set
    if origin is list:
        (element,) = typing.get_args(hint) or (Any,)
        if dataclasses.is_dataclass(element):
            names = [f.name for f in dataclasses.fields(element)]
            return lambda values: [element(**{n: getattr(v, n) for n in names}) for v in values]
        return list
    return lambda value: value


def _default(field: dataclasses.Field, hint: Any) -> Callable[[], Any]:
    """What a missing value reads as: the field's default, else the empty value of its type (``False``,
    ``0``, an empty collection), else ``None``."""
    if field.default is not dataclasses.MISSING:
        return lambda: field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory
    empty = typing.get_origin(hint) or hint
    if empty in (bool, int, float, list, set, dict):
        return empty
    return lambda: None


@functools.cache
def _readers(model: type, item_class: type) -> tuple[tuple[str, Callable, Callable], ...]:
    hints = typing.get_type_hints(model)
    attributes = _attributes(item_class)
    return tuple(
        (f.name, _default(f, hints[f.name]), _reader(hints[f.name]))
        for f in dataclasses.fields(model)
        if f.init and f.name in attributes
    )


def to_model[M](model: type[M], item: Any, **given: Any) -> M:
    """The ``model`` dataclass read from ``item``: every field the item has an attribute of the same
    name for, coerced to its type (a missing value reads as the field's default or its type's empty
    value); ``given`` supplies or overrides the rest."""
    values: dict[str, Any] = {}
    for name, missing, read in _readers(model, type(item)):
        if name in given:
            continue
        raw = getattr(item, name, None)
        values[name] = missing() if raw is None else read(raw)
    values.update(given)
    return model(**values)


def _writer(attribute: Any) -> Callable[[Any], Any]:
    element = getattr(attribute, "element_type", None) if isinstance(attribute, ListAttribute) else None

    def write(value: Any) -> Any:
        if isinstance(value, dt.date):  # dates and datetimes
            return value.isoformat()
        if element is not None and isinstance(value, list):
            return [element(**dataclasses.asdict(v)) if dataclasses.is_dataclass(v) else v for v in value]
        return value

    return write


@functools.cache
def _writers(item_class: type, model: type) -> tuple[tuple[str, Callable], ...]:
    fields = {f.name for f in dataclasses.fields(model)}
    return tuple(
        (name, _writer(attribute)) for name, attribute in _attributes(item_class).items() if name in fields
    )


def to_item[I](item_class: type[I], model: Any, **given: Any) -> I:
    """An ``item_class`` item of ``model``: every attribute with a field of the same name, dates as
    ISO strings and dataclasses as map attributes; ``given`` supplies the keys and overrides the
    rest."""
    values = {name: write(getattr(model, name)) for name, write in _writers(item_class, type(model))}
    values.update(given)
    return item_class(**values)
