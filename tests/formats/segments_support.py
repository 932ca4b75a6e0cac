"""Helpers the Segments.ai reader tests share (`bitmap_release` is in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from labelview.formats import segments
from labelview.formats.base import ReadContext

SEGMENTS = "segments"
# Instance ids of the test bitmap: R, G and B bytes all used, 70000 > 65535, 300 is not annotated.
IDS = np.array(
    [
        [0, 0, 0, 0, 0, 0, 70000, 70000],
        [0, 1, 1, 1, 0, 0, 0, 0],
        [0, 1, 1, 1, 0, 0, 0, 300],
        [0, 0, 2, 2, 2, 2, 0, 0],
        [0, 0, 2, 2, 2, 2, 0, 0],
        [70000, 70000, 70000, 0, 0, 0, 0, 0],
    ],
    dtype=np.uint32,
)


def write_rgba(path: Path, ids: np.ndarray) -> Path:
    """Encode instance ids the way the platform does (RGB bytes little-endian, alpha 255)."""
    rgba = ids.astype("<u4")[..., None].view(np.uint8).copy()
    rgba[..., 3] = 255
    Image.fromarray(rgba, mode="RGBA").save(path)
    return path


def read(path: Path, **options: object) -> tuple:
    ctx = ReadContext(file=path, options=dict(options))
    return segments.read(path, ctx), ctx.issues


def by_id(item):
    return {obj.id: obj for obj in item.objects}
