"""Helpers the format tests share (imported as `from conftest import ...`, as in tests/gui)."""

from __future__ import annotations

import pytest

from labelview import formats


def needs_writer(name: str) -> None:
    """Skip the calling test while the `name` writer is not registered."""
    fmt = formats.FORMATS.get(name)
    if fmt is None or not fmt.writable:
        pytest.skip(f"the {name} writer is not registered yet")


def json_paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every key/index path in a parsed JSON value, the root `()` first (for mutation tests)."""
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += json_paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += json_paths(child, (*prefix, index))
    return found
