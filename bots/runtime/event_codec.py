"""Events as JSON, so they can cross processes through the events outbox.

An event is any frozen dataclass: its kind is its class's import path
("bots.runtime.events:OrderPaid") and its body its fields as JSON, read back by their
annotations. A new event class needs nothing here: define it at module level, with fields
of the types below (views, Money, Decimal, datetime, enums, tuples, lists, dicts, str, int,
bool, None, other such dataclasses), and it crosses processes as it is.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
import types
import typing
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

__all__ = ["decode", "encode", "kind_of"]


def kind_of(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def encode(event: object) -> tuple[str, str]:
    """(kind, body) for the outbox."""
    if not dataclasses.is_dataclass(event) or isinstance(event, type):
        raise TypeError(f"an event must be a dataclass instance, not {type(event).__name__}")
    return kind_of(type(event)), json.dumps(_plain(event), separators=(",", ":"))


def decode(kind: str, body: str) -> object:
    """The event `encode` wrote; raises LookupError for a kind this process cannot import
    (written by a newer version, or a plugin this process does not load)."""
    return _build(_event_class(kind), json.loads(body))


@cache
def _event_class(kind: str) -> type:
    module_name, _, name = kind.partition(":")
    try:
        found: object = importlib.import_module(module_name)
        for part in name.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        raise LookupError(f"unknown event kind {kind!r}") from exc
    if not (isinstance(found, type) and dataclasses.is_dataclass(found)):
        raise LookupError(f"{kind!r} is not an event dataclass")
    return found


def _plain(value: object) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    raise TypeError(f"cannot put {type(value).__name__} in an event")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        if value is None:
            return None
        options = [t for t in typing.get_args(tp) if t is not type(None)]
        if len(options) == 1:
            return _build(options[0], value)
        for option in options:  # a union of several dataclasses: the first that fits
            try:
                return _build(option, value)
            except (TypeError, ValueError, KeyError):
                continue
        raise ValueError(f"{value!r} fits none of {tp}")
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(t, v) for t, v in zip(args, value, strict=True))
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_build(item, v) for v in value]
    if origin is dict:
        _, item = typing.get_args(tp)
        return {k: _build(item, v) for k, v in value.items()}
    if tp is Any or tp is object or value is None:
        return value
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            hints = _hints(tp)
            return tp(**{k: _build(hints[k], v) for k, v in value.items() if k in hints})
        if issubclass(tp, enum.Enum):
            return tp(value)
        if tp is Decimal:
            return Decimal(value)
        if tp is datetime:
            return datetime.fromisoformat(value)
        if tp is timedelta:
            return timedelta(seconds=value)
        if tp in (str, int, bool, float):
            return tp(value)
    raise TypeError(f"cannot read {tp!r} from an event")
