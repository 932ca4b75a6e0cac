"""Helpers the format tests share (imported as `from conftest import ...`, as in tests/gui)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from encord_support import DATA as ENCORD_DATA
from encord_support import read as read_encord
from PIL import Image
from segments_support import IDS, write_rgba

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


@pytest.fixture(scope="module")
def mini():
    """The hand-made Encord export tests/data/encord/mini.json, read."""
    return read_encord(ENCORD_DATA / "mini.json")


@pytest.fixture
def bitmap_release(tmp_path: Path, data: Path) -> Path:
    """A Segments.ai bitmap release with its instance PNG (ids from segments_support.IDS)."""
    release = tmp_path / "release.json"
    shutil.copy(data / "segments" / "bitmap_release.json", release)
    write_rgba(tmp_path / "bitmap-1.png", IDS)
    Image.fromarray(np.zeros((6, 8), np.uint8), mode="L").save(tmp_path / "gray.png")
    return release
