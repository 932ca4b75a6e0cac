"""The reading toolkit every format's reader shares.

One failure idiom: a reader takes a value through the typed accessors below; a value of the wrong
type or out of range raises `Skip` with a location, the reader catches `BAD_VALUE` around one
object, records `ctx.warn(where, describe(error))` and goes on with the next one. No reader
invents its own tuple of exceptions or its own way to turn one into text.

One location grammar (see `located` in `labelview.errors`):
- JSON: a path built by `at()` — `[12].task.tools[3]`, printed `export.json: [12].task.tools[3]: …`
- line formats (YOLO labels, names files): `line(n)` — printed `labels/a.txt:12: …`
- a member of a folder or zip: `member(name, path)` — `json/a.json: [3].coordinates`
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from labelview import limits
from labelview.formats._screen import extent_limit
from labelview.formats.base import where as at

__all__ = [
    "BAD_VALUE",
    "MAX_COORDINATE",
    "Skip",
    "at",
    "coordinate",
    "describe",
    "extent_limit",
    "integer",
    "line",
    "mapping",
    "member",
    "number",
    "optional_mapping",
    "optional_sequence",
    "optional_text",
    "sequence",
    "size",
    "take",
    "text",
]

# What reading one object of untrusted input may raise. OverflowError: a huge integer as a float;
# RecursionError: absurdly deep nesting. Nothing else is caught: a bug should still show.
BAD_VALUE = (
    KeyError,
    TypeError,
    ValueError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
)

# Coordinates beyond this are broken values, not pixels (one constant, in labelview.limits).
MAX_COORDINATE = limits.MAX_COORDINATE
_MAX_INT = 2**63 - 1
_MISSING: Any = object()


class Skip(ValueError):
    """One object (or value) of the input cannot be read; the reader skips it and warns.

    `where` is the location relative to the object being read (may be empty).
    """

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where


def describe(error: BaseException) -> str:
    """A user's sentence for an exception raised while reading one value."""
    if isinstance(error, Skip):
        return error.message
    if isinstance(error, KeyError):
        return f"missing key {error.args[0]!r}" if error.args else "missing key"
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, OverflowError):
        return "number out of range"
    text = str(error) or type(error).__name__
    if isinstance(error, (TypeError, AttributeError)):
        return f"unexpected value ({text})"
    return text


def line(number: int) -> str:
    """The location of a line of a line-based file (1-based): printed `file:12`."""
    return str(number)


def member(name: str, path: str = "") -> str:
    """A location inside one member of a folder or archive: `json/a.json: [3].coordinates`."""
    if not name:
        return path
    return f"{name}: {path}" if path else name


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else f"{shown[:37]}..."


def take(node: Any, key: str, default: Any = _MISSING) -> Any:
    """`node[key]` from a JSON object; Skip (located at `key`) when `node` is not an object or the
    key is missing and no default was given.
    """
    if not isinstance(node, Mapping):
        raise Skip(f"expected an object, got {_kind(node)}")
    if key in node:
        return node[key]
    if default is _MISSING:
        raise Skip(f"missing {key!r}")
    return default


def mapping(value: Any, what: str = "value") -> Mapping[str, Any]:
    """`value` when it is a JSON object, else Skip."""
    if not isinstance(value, Mapping):
        raise Skip(f"{what} must be an object, got {_kind(value)}")
    return value


def sequence(value: Any, what: str = "value") -> Sequence[Any]:
    """`value` when it is a JSON list, else Skip (a string is not a list here)."""
    if not isinstance(value, (list, tuple)):
        raise Skip(f"{what} must be a list, got {_kind(value)}")
    return value


def optional_mapping(value: Any, what: str = "value") -> Mapping[str, Any]:
    """An optional JSON object: {} when absent (None), Skip when present with another type —
    `value or {}` would turn `labels: 0` into no labels without a word.
    """
    return {} if value is None else mapping(value, what)


def optional_sequence(value: Any, what: str = "value") -> Sequence[Any]:
    """An optional JSON list: [] when absent (None), Skip when present with another type."""
    return [] if value is None else sequence(value, what)


def number(value: Any, what: str = "value") -> float:
    """A finite float from a JSON number (or numeric text, which some exporters write)."""
    if isinstance(value, bool) or value is None:
        raise Skip(f"{what} must be a number, got {_kind(value)}")
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError):
        raise Skip(f"{what} must be a number, got {_shown(value)}") from None
    if not math.isfinite(result):
        raise Skip(f"{what} is not finite ({_shown(value)})")
    return result


def coordinate(value: Any, what: str = "coordinate", *, limit: float | None = None) -> float:
    """A pixel coordinate: a finite number no further than `limit` from the origin (default
    MAX_COORDINATE; `extent_limit(width, height)` when the reader knows the image size).
    """
    result = number(value, what)
    if abs(result) > (MAX_COORDINATE if limit is None else limit):
        raise Skip(f"{what} {_shown(value)} is far outside any image")
    return result


def integer(value: Any, what: str = "value", *, low: int = -_MAX_INT, high: int = _MAX_INT) -> int:
    """An int in [low, high] from a JSON integer (or an integral float / numeric text)."""
    if isinstance(value, bool) or value is None:
        raise Skip(f"{what} must be an integer, got {_kind(value)}")
    if isinstance(value, int):
        result = value
    else:
        try:
            as_float = float(value)
        except (TypeError, ValueError, OverflowError):
            raise Skip(f"{what} must be an integer, got {_shown(value)}") from None
        if not as_float.is_integer():
            raise Skip(f"{what} must be an integer, got {_shown(value)}")
        result = int(as_float)
    if not low <= result <= high:
        raise Skip(f"{what} {_shown(value)} is out of range [{low}, {high}]")
    return result


def size(value: Any, what: str = "size") -> int | None:
    """An image width or height: a positive integer up to 2^20, None when absent (null, 0, '')."""
    if value is None or value == "" or value == 0:
        return None
    return integer(value, what, low=1, high=1 << 20)


def text(value: Any, what: str = "value") -> str:
    """`value` as text: strings as they are, numbers (ids written as ints) as their decimal form."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise Skip(f"{what} must be text, got {_kind(value)}")


def optional_text(value: Any, what: str = "value") -> str | None:
    """text(value), or None for a missing / null value."""
    return None if value is None else text(value, what)


class CappedWarnings:
    """Located warnings grouped by kind: the first `limit` of a kind are issued as they come, the
    rest only counted and summed up in one line by `finish()` — a million bad objects of one kind
    give 21 lines, not a million.
    """

    def __init__(self, ctx: Any, limit: int = 20) -> None:
        self.ctx = ctx
        self.limit = limit
        self.counts: dict[str, int] = {}

    def __call__(self, kind: str, where: str, message: str, **ids: str | None) -> None:
        count = self.counts[kind] = self.counts.get(kind, 0) + 1
        if count <= self.limit:
            self.ctx.warn(where, message, **ids)

    def finish(self) -> None:
        for kind, count in self.counts.items():
            if count > self.limit:
                self.ctx.warn("", f"{count - self.limit:,} more warnings like: {kind}")
