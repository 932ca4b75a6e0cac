"""Structural mutators: JSON trees, XML elements, YOLO label lines and YAML data files.

Every mutator takes its decisions from a `Chooser`, so the same code runs under hypothesis (CI:
derandomized, and a failure shrinks to the simplest mutation) and under a plain `random.Random`
(bench/fuzz.py: faster). Values and operations are listed simplest first, so shrinking moves
towards the plainest input that still fails.
"""

from __future__ import annotations

import copy
import json
import math
import random
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import yaml

T = TypeVar("T")

# Nesting beyond every parser's limit (orjson and expat stop at 1024, Python's recursion at ~1000).
DEEP = 3000
HUGE = 200_000


class Chooser(Protocol):
    def integer(self, low: int, high: int) -> int: ...


class RandomChooser:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


class HypothesisChooser:
    """Draws through hypothesis's `data` (from `st.data()`), so failures shrink."""

    def __init__(self, data: Any) -> None:
        from hypothesis import strategies as st

        self._st = st
        self.data = data

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(self._st.integers(low, high))


def pick(chooser: Chooser, options: Sequence[T]) -> T:
    return options[chooser.integer(0, len(options) - 1)]


# --- JSON -----------------------------------------------------------------------------------------


class _Deep:
    """Placeholder for a value nested DEEP levels (json.dumps cannot write one itself)."""


class _HugeNumber:
    """Placeholder for a 400-digit integer literal (beyond any float, and past int limits)."""


HOSTILE_JSON: list[Any] = [
    0,
    -1,
    "",
    None,
    True,
    [],
    {},
    "abc",
    1e9,
    -1e9,
    1e300,
    -1e300,
    2**70,
    -(2**70),
    math.nan,
    math.inf,
    -math.inf,
    0.5,
    "a\nb",
    "\ud800",
    "\ud800\udfff",  # a valid pair, written escaped: must decode, not split
    "../../x.png",
    "/nonexistent/x.png",
    "C:\\x.png",
    "con.jpg",
    "x" * 300,
    "a\x00b",
    [0],
    {"a": 0},
    [[0, 0], [0, 0]],
    "NaN",
    "1e999",
    _HugeNumber(),
    "x" * HUGE,
    _Deep(),
]


def json_paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every node's path (keys and indices), the root's `()` first."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += json_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += json_paths(value, (*path, index))
    return found


def _get(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


def _set(root: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    _get(root, path[:-1])[path[-1]] = value
    return root


def _retyped(value: Any) -> Any:
    """The same content in another type: 3 -> "3", "3" -> 3, [a] -> {"0": a}, {k: v} -> [v]."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return [value]
    if isinstance(value, list):
        return {str(index): item for index, item in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    return 0


def _perturbed(value: Any, chooser: Chooser) -> Any:
    factor = pick(chooser, (-1, 1e6, 1e12, 1e300, 0))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return factor
    if isinstance(value, int) and chooser.integer(0, 1):
        return value + 2**63
    return value * factor


OPS = ("replace", "delete", "retype", "perturb", "duplicate", "graft")


def mutate_json(doc: Any, chooser: Chooser, *, most: int = 3) -> tuple[Any, list[str]]:
    """A mutated deep copy of `doc` and what was done (one line per operation)."""
    doc = copy.deepcopy(doc)
    done = []
    for _ in range(chooser.integer(1, most)):
        paths = json_paths(doc)
        path = paths[chooser.integer(0, len(paths) - 1)]
        op = pick(chooser, OPS)
        shown = "".join(f"[{part!r}]" for part in path) or "root"
        if op == "replace":
            value = pick(chooser, HOSTILE_JSON)
            doc = _set(doc, path, value)
            done.append(f"replace {shown} with {_label(value)}")
        elif op == "delete" and path:
            parent = _get(doc, path[:-1])
            del parent[path[-1]]
            kind = "list element" if isinstance(parent, list) else "key"
            done.append(f"delete {kind} {shown}")
        elif op == "retype":
            doc = _set(doc, path, _retyped(_get(doc, path)))
            done.append(f"retype {shown}")
        elif op == "perturb":
            doc = _set(doc, path, _perturbed(_get(doc, path), chooser))
            done.append(f"perturb {shown} to {_label(_get(doc, path))}")
        elif op == "duplicate" and path and isinstance(_get(doc, path[:-1]), list):
            parent = _get(doc, path[:-1])
            parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))
            done.append(f"duplicate {shown}")
        elif op == "graft":
            other = paths[chooser.integer(0, len(paths) - 1)]
            value = copy.deepcopy(_get(doc, other))
            doc = _set(doc, path, value)
            done.append(f"graft {''.join(f'[{p!r}]' for p in other) or 'root'} onto {shown}")
    return doc, done


def may_drop(done: list[str]) -> bool:
    """True when a mutation may legitimately leave fewer objects: it deleted a node, or grafted
    another node over one (an `objects` list replaced by a shorter one). Replaced, retyped and
    perturbed values must not lose an object without an issue."""
    return any(": delete" in step or ": graft" in step for step in done)


def _label(value: Any) -> str:
    if isinstance(value, _Deep):
        return f"{DEEP} nested lists"
    if isinstance(value, _HugeNumber):
        return "a 400-digit integer"
    if isinstance(value, str) and len(value) > 40:
        return f"a {len(value):,}-character string"
    return repr(value)


def dump_json(doc: Any) -> bytes:
    """JSON text, with NaN/Infinity literals, huge ints and deep nesting kept as such."""

    def placeholder(value: Any) -> Any:
        if isinstance(value, _Deep):
            return "\x00deep\x00"
        if isinstance(value, _HugeNumber):
            return "\x00huge\x00"
        raise TypeError(type(value).__name__)

    text = json.dumps(doc, default=placeholder, allow_nan=True)
    text = text.replace(json.dumps("\x00deep\x00"), "[" * DEEP + "]" * DEEP)
    text = text.replace(json.dumps("\x00huge\x00"), "9" * 400)
    return text.encode("utf-8")


def mutate_ndjson(raw: bytes, chooser: Chooser) -> tuple[bytes, list[str]]:
    lines = [line for line in raw.decode("utf-8").splitlines() if line.strip()]
    parsed = []
    for number, text in enumerate(lines):
        try:
            json.loads(text)
            parsed.append(number)
        except ValueError:
            pass  # a seed's deliberately broken line stays as it is
    index = pick(chooser, parsed)
    doc, done = mutate_json(json.loads(lines[index]), chooser)
    lines[index] = dump_json(doc).decode("utf-8")
    return "\n".join(lines).encode("utf-8") + b"\n", [f"line {index + 1}: {d}" for d in done]


# --- XML ------------------------------------------------------------------------------------------

HOSTILE_TEXT = [
    "0",
    "-1",
    "",
    "abc",
    "1e9",
    "-1e9",
    "nan",
    "inf",
    "-inf",
    "1e300",
    "99999999999999999999999",
    "0.5",
    "1,5",
    " ",
    "a\nb",
    "../../x.png",
    "/nonexistent/x.png",
    "x" * 300,
    "\x01",
    "x" * HUGE,
]

XML_OPS = ("text", "delete", "duplicate", "attribute", "hollow", "deepen")


def mutate_xml(raw: bytes, chooser: Chooser, *, most: int = 3) -> tuple[bytes, list[str]]:
    root = ET.fromstring(raw)
    done = []
    for _ in range(chooser.integer(1, most)):
        elements = [(None, root)] + [(parent, child) for parent in root.iter() for child in parent]
        parent, element = elements[chooser.integer(0, len(elements) - 1)]
        op = pick(chooser, XML_OPS)
        if op == "text":
            value = pick(chooser, HOSTILE_TEXT)
            element.text = value
            done.append(f"<{element.tag}> text {_label(value)}")
        elif op == "delete" and parent is not None:
            parent.remove(element)
            done.append(f"delete <{element.tag}>")
        elif op == "duplicate" and parent is not None:
            parent.insert(list(parent).index(element), copy.deepcopy(element))
            done.append(f"duplicate <{element.tag}>")
        elif op == "attribute":
            value = pick(chooser, HOSTILE_TEXT)
            element.set(pick(chooser, ("id", "label", "difficult", "x")), value)
            done.append(f"<{element.tag}> attribute {_label(value)}")
        elif op == "hollow":
            for child in list(element):
                element.remove(child)
            element.text = "abc"
            done.append(f"<{element.tag}> children replaced by text")
        elif op == "deepen":
            ET.SubElement(element, "deep-marker")  # serialised below (ET recurses per level)
            done.append(f"<{element.tag}> given {DEEP} nested elements")
    text = ET.tostring(root, encoding="unicode")
    text = text.replace("<deep-marker />", "<d>" * DEEP + "</d>" * DEEP)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode("utf-8"), done


# --- YOLO label text and YAML ---------------------------------------------------------------------

TEXT_OPS = ("token", "delete token", "duplicate token", "delete line", "duplicate line", "garbage")
GARBAGE_LINES = ["", "abc", "0", "0 0.5", "0 0.5 0.5 0.5 0.5 0.5", "\x00", "x" * HUGE, "-1 0 0 1 1"]


def mutate_text(raw: bytes, chooser: Chooser, *, most: int = 3) -> tuple[bytes, list[str]]:
    lines = [line.split() for line in raw.decode("utf-8").splitlines()] or [[]]
    done = []
    for _ in range(chooser.integer(1, most)):
        index = chooser.integer(0, len(lines) - 1)
        tokens = lines[index]
        op = pick(chooser, TEXT_OPS)
        where = f"line {index + 1}"
        if op == "token" and tokens:
            at = chooser.integer(0, len(tokens) - 1)
            tokens[at] = pick(chooser, HOSTILE_TEXT).replace("\n", " ") or "''"
            done.append(f"{where} token {at} replaced by {_label(tokens[at])}")
        elif op == "delete token" and tokens:
            del tokens[chooser.integer(0, len(tokens) - 1)]
            done.append(f"{where} lost a token")
        elif op == "duplicate token" and tokens:
            at = chooser.integer(0, len(tokens) - 1)
            tokens.insert(at, tokens[at])
            done.append(f"{where} token {at} duplicated")
        elif op == "delete line" and len(lines) > 1:
            del lines[index]
            done.append(f"delete line {index + 1}")
        elif op == "duplicate line":
            lines.insert(index, list(tokens))
            done.append(f"duplicate line {index + 1}")
        elif op == "garbage":
            value = pick(chooser, GARBAGE_LINES)
            lines.insert(index, value.split() if value.strip() else [value])
            done.append(f"insert line {_label(value)} before line {index + 1}")
    return ("\n".join(" ".join(tokens) for tokens in lines) + "\n").encode("utf-8"), done


def mutate_yaml(raw: bytes, chooser: Chooser) -> tuple[bytes, list[str]]:
    doc, done = mutate_json(yaml.safe_load(raw), chooser)
    # YAML has no placeholders: deep values become a shallow list, huge numbers a long int.
    doc = _plain(doc)
    return yaml.safe_dump(doc, allow_unicode=False).encode("utf-8"), done


def _plain(node: Any) -> Any:
    if isinstance(node, _Deep):
        return [[[[0]]]]
    if isinstance(node, _HugeNumber):
        return 10**400
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, str):
        # A path that is the root or a parent would make the reader walk the machine (that one is
        # a hostile case of its own, not a mutation to repeat thousands of times).
        return node if node.strip() not in ("/", "..", "../..") else "nowhere"
    return node


MUTATORS = {
    "json": lambda raw, chooser: _mutate_json_bytes(raw, chooser),
    "ndjson": mutate_ndjson,
    "xml": mutate_xml,
    "text": mutate_text,
    "yaml": mutate_yaml,
}


def _mutate_json_bytes(raw: bytes, chooser: Chooser) -> tuple[bytes, list[str]]:
    doc, done = mutate_json(json.loads(raw), chooser)
    return dump_json(doc), done
